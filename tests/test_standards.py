"""The standards register on content/'s standards: merged rows, stages, replaces / replaced-by, filters."""

import pytest
from conftest import CONTENT

from kb.content import iter_articles
from kb.standards import build_register, filter_register, find, flattened_rows, nature_of, title_stage


@pytest.fixture(scope="module")
def register():
    records = [
        {
            "id": a.id,
            "title": a.title,
            "type": a.type,
            "date": a.date,
            "issue": a.issue_slug,
            "body": a.body,
            "standards": a.standards,
            "plans": a.plans,
        }
        for a in iter_articles(CONTENT)
    ]
    return {e.number: e for e in build_register(records)}


def test_national_and_foreign_rows_are_one_entry(register):
    plan = register["20220753-T-469"]
    assert plan.foreign_plan_number == "W20222364" and plan.foreign_title == "Rare earth ferrosilicon alloy"
    assert (plan.name, plan.nature, plan.action) == ("稀土硅铁合金", "推荐", "修订")
    assert plan.committee == "全国稀土标准化技术委员会" and plan.drafters == "赣州有色冶金研究所有限公司"
    assert not any(e.number.startswith("W") for e in register.values())
    assert sum(1 for e in register.values() if e.kind == "plan") == 12


def test_a_plan_replaces_the_standard_it_revises(register):
    assert register["20220753-T-469"].replaces == ["GB/T 4137-2015"]
    old = register["GB/T 4137-2015"]
    assert old.replaced_by == [{"number": "20220753-T-469", "how": "修订计划"}]
    assert old.name == "稀土硅铁合金" and old.stages[0].stage == "计划下达"


def test_xbt_403_2012_is_replaced_not_approved(register):
    old, new = register["XB/T 403-2012"], register["XB/T 403-2023"]
    assert [s.stage for s in old.stages] == ["被代替"] and old.replaced_by[0]["number"] == "XB/T 403-2023"
    assert new.replaces == ["XB/T 403-2012"] and [s.stage for s in new.stages] == ["报批公示"]
    stage = new.stages[0]
    assert stage.date == "2023-07-10" and stage.article_id == "2023-07-6d7b6c96"


def test_names_from_a_table_flattened_to_one_cell_per_paragraph(register):
    assert register["XB/T 403-2023"].name == "钆铁合金"
    assert register["XB/T 617.8-2023"].name.startswith("钕铁硼合金化学分析方法第8部分")
    assert (
        register["XB/T 631-2023"].name == "稀土复合钇锆陶瓷材料化学分析方法氧化锆、氧化钇和氧化铪含量的测定"
    )


def test_flattened_rows_rule():
    body = "\n\n".join(
        [
            "1",
            "XB/T403-2023",
            "钆铁",
            "合金",
            "本文件规定了钆铁合金的分类。",
            "XB/T403-2012",
            "2",
            "XB/T631-2023",
            "陶瓷",
        ]
    )
    assert flattened_rows(body) == [
        {"number": "XB/T 403-2023", "name": "钆铁合金", "replaces": "XB/T 403-2012"},
        {"number": "XB/T 631-2023", "name": "陶瓷", "replaces": ""},
    ]


@pytest.mark.parametrize(
    "title, stage",
    [
        ("工信部：5项稀土行业标准报批公示", "报批公示"),
        ("国家标准委下达2022年第二批推荐性国家标准计划", "计划下达"),
        ("《稀土硅铁合金》征求意见稿", "征求意见"),
        ("国内外首个深海稀土资源勘查领域的标准发布", "发布"),
        ("稀土新标准7月1日起实施", "实施"),
        ("稀土价格走势", ""),
    ],
)
def test_stage_from_the_title(title, stage):
    assert title_stage(title) == stage


def test_a_standard_merely_cited_by_a_policy_is_mentioned(register):
    assert [s.stage for s in register["GB 26451-2011"].stages] == ["提及"]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("gbt4137", {"GB/T 4137-2015", "20220753-T-469"}),
        ("ＧＢ／Ｔ　４１３７", {"GB/T 4137-2015", "20220753-T-469"}),
        ("xbt 403", {"XB/T 403-2012", "XB/T 403-2023"}),
        ("XB/T 403-2012", {"XB/T 403-2012", "XB/T 403-2023"}),
        ("w20222364", {"20220753-T-469"}),
        (
            "硅铁",
            {
                "GB/T 4137-2015",
                "GB/T 4138-2015",
                "GB/T 16477.1-2010",
                "20220751-T-469",
                "20220753-T-469",
                "20220762-T-469",
            },
        ),
    ],
)
def test_filter_reads_numbers_as_search_does(register, typed, expected):
    assert {e.number for e in filter_register(list(register.values()), typed)} == expected


def test_filters_by_stage_committee_and_year(register):
    rows = list(register.values())
    assert {e.number for e in filter_register(rows, stage="被代替")} == {"XB/T 403-2012"}
    assert len(filter_register(rows, committee="全国稀土标准化技术委员会")) == 16
    assert {e.number for e in filter_register(rows, year="2023")} == {
        "XB/T 403-2012",
        "XB/T 403-2023",
        "XB/T 617.8-2023",
        "XB/T 631-2023",
        "XB/T 632-2023",
        "XB/T 633-2023",
    }


def test_find_by_lookup(register):
    assert [e.number for e in find(list(register.values()), "XB/T 403-2012")] == ["XB/T 403-2012"]
    assert find(list(register.values()), "hello") is None


@pytest.mark.parametrize(
    "number, nature",
    [
        ("20220751-T-469", "推荐"),
        ("20230001-Q-469", "强制"),
        ("GB/T 4137-2015", "推荐"),
        ("GB 26451-2011", "强制"),
        ("XB/T 403-2023", "推荐"),
        ("GB/Z 1.1", "指导"),
        ("W20222364", ""),
    ],
)
def test_nature_from_the_number(number, nature):
    assert nature_of(number) == nature


def test_a_blank_nature_cell_is_read_from_the_plan_number(register):
    assert register["20220751-T-469"].nature == "推荐"  # the table leaves it blank
