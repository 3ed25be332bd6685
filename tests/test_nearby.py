"""A search that finds nothing offers the known numbers that look like the one typed."""

import pytest

from kb.nearby import fold_number, known_numbers, similar_numbers


@pytest.fixture(scope="module")
def known(searcher):
    return known_numbers(searcher.current().all_stored_fields())


def test_known_numbers_are_the_canonical_numbers_of_the_index(known):
    assert known["GB/T 4137-2015"] == "标准"
    assert known["20220747-T-469"] == "计划号"
    assert known["CN117446850A"] == "专利"
    assert known["工信部联原〔2022〕90号"] == "文号"


def test_fold_keeps_letters_digits_and_chinese():
    assert fold_number("GB/T 4137-2015") == "gbt41372015"
    assert fold_number("工信部联原〔2022〕90号") == "工信部联原202290号"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("20220747T496", "20220747-T-469"),  # two digits swapped
        ("gb/t 4137-2016", "GB/T 4137-2015"),  # wrong year
        ("CN11744685", "CN117446850A"),  # a digit and the kind letter missing
        ("工信部联原2022 91号", "工信部联原〔2022〕90号"),  # brackets missing, one digit off
    ],
)
def test_a_mistyped_number_is_offered_the_number_it_means_first(known, typed, meant):
    assert similar_numbers(typed, known)[0][0] == meant


def test_words_and_unrelated_numbers_are_offered_nothing(known):
    assert similar_numbers("钕铁硼永磁", known) == []  # not a number: no digits
    assert similar_numbers("99999999", known) == []  # no known number is close


def test_the_zero_result_page_offers_ways_on(client):
    page = client.get("/search", query_string={"q": "xyzzy"}).get_data(as_text=True)
    assert "没有找到" in page and "可以试试" in page
    assert 'href="/standards"' in page and 'href="/issues"' in page
    assert "相近的编号" not in page  # a word is offered no numbers


def test_the_zero_result_page_and_json_name_similar_numbers(client):
    query = {"q": "CN11744685X"}
    data = client.get("/api/search", query_string=query).get_json()
    assert data["total"] == 0
    assert data["similar_numbers"][0] == {"number": "CN117446850A", "kind": "专利"}
    html = client.get("/search", query_string=query).get_data(as_text=True)
    assert "相近的编号" in html and "CN117446850A" in html
