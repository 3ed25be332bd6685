"""Price rows → products and series, on content/'s real price tables and on small made-up rows."""

import pytest
from conftest import CONTENT

from kb.content import iter_articles
from kb.prices import build_products, match_products, normalise_name, normalise_purity, record_unit


def records():
    return [
        {
            "id": a.id,
            "title": a.title,
            "date": a.date,
            "issue": a.issue_slug,
            "body": a.body,
            "prices": a.prices,
        }
        for a in iter_articles(CONTENT)
        if a.prices
    ]


@pytest.fixture(scope="module")
def products():
    return {p.key: p for p in build_products(records())}


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("≧99%", "≥99%"),
        ("≥ 99%Gd75% ±2%", "≥99% Gd75%±2%"),
        ("$\\geq 99\\%$", "≥99%"),
        ("≥99%Nd 2 O 3 75%", "≥99% Nd2O3 75%"),
        ("≥99%Nd2O375%", "≥99% Nd2O3 75%"),
        ("＞＝99.9%", "≥99.9%"),
    ],
)
def test_purity_is_written_one_way(printed, expected):
    assert normalise_purity(printed) == expected


@pytest.mark.parametrize(
    "name, purity, expected",
    [
        ("镨钕金属", "≥99% Nd75%", "金属镨钕"),  # X金属 = 金属X
        ("氧 化 镝", "≥99%", "氧化镝"),  # converter spaces
        ("钐铁", "≥99% Gd75%±2%", "钆铁"),  # the content spec names the element
        ("镱铁", "≥99% Dy80%", "镝铁"),
        ("钬铁", "≥99% Ho80%", "钬铁"),
        ("氧化镨钕", "≥99% Nd2O3 75%", "氧化镨钕"),  # an oxide share is not an alloy spec
    ],
)
def test_product_names(name, purity, expected):
    assert normalise_name(name, purity)[0] == expected


def test_unit_from_the_caption():
    assert record_unit({"body": "表2 平均价格对比（单位：公斤）"}) == "元/公斤"
    assert record_unit({"body": "（单位：万元/吨）"}) == "万元/吨"


def test_series_joins_issues_and_previous_months(products):
    prnd = products["氧化镨钕 ≥99%Nd2O375%"]
    periods = [p.period for p in prnd.points]
    assert periods == sorted(periods) == ["2022-07", "2022-08", "2023-06", "2023-07", "2023-12", "2024-01"]
    july = next(p for p in prnd.points if p.period == "2023-07")
    assert (july.price, july.change, july.kind) == (453.05, "-7.51%", "current")
    assert next(p for p in prnd.points if p.period == "2023-06").kind == "previous"
    # the two spellings of the PrNd metal are one product across three issues
    assert len(products["金属镨钕 ≥99%Nd75%"].points) == 6 and "镨钕金属 ≥99%Nd75%" not in products


def test_a_months_own_table_beats_the_next_tables_previous_column():
    rows = [{"product": "氧化镝", "purity": "≥99%", "previous": 10, "current": 20, "change": "100%"}]
    made = build_products(
        [
            {"id": "b", "title": "", "date": "2024-02", "prices": rows},
            {
                "id": "a",
                "title": "",
                "date": "2024-01",
                "prices": [{**rows[0], "previous": 5, "current": 11}],
            },
        ]
    )
    points = {p.period: (p.price, p.article_id) for p in made[0].points}
    assert points == {"2023-12": (5, "a"), "2024-01": (11, "a"), "2024-02": (20, "b")}


def test_corrections_and_doubts_are_recorded(products):
    assert any("钐铁" in note for note in products["钆铁 ≥99%Gd75%±2%"].notes)
    assert "疑为识别错误" in products["氧化铟 ≥99%"].notes[0]  # indium is no rare earth
    assert products["氧化镧 ≥99%"].notes == []


@pytest.mark.parametrize(
    "query, expected",
    [
        ("氧化镨钕 价格", ["氧化镨钕"]),
        ("氧化镨钕价格", ["氧化镨钕"]),
        ("镨钕 价格", ["氧化镨钕", "金属镨钕"]),
        ("氧化镝", ["氧化镝"]),
        ("稀土 回收", []),
        ("价格", []),
    ],
)
def test_search_queries_find_products(products, query, expected):
    assert [p.name for p in match_products(query, list(products.values()))] == expected
