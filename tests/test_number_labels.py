"""A word that only labels the number beside it (专利号, 标准号, 计划号) is not required."""

import pytest

from kb.query import NUMBER_LABELS, parse_query
from kb.search import SearchRequest


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("专利号117446850", "CN117446850A"),
        ("专利号 CN117446850A", "CN117446850A"),
        ("标准号 GB/T 4137-2015", "GB/T 4137-2015"),
        ("计划号20220747-T-469", "20220747-T-469"),
        ("文号 工信部联原〔2022〕90号", "工信部联原〔2022〕90号"),
    ],
)
def test_a_labelled_number_finds_its_article_strictly(searcher, typed, expected):
    page = searcher.search(SearchRequest(q=typed))
    assert page.total >= 1 and not page.relaxed
    assert any(expected in (hit.title + hit.snippet) for hit in page.hits)


def test_labels_are_dropped_only_beside_a_number():
    assert parse_query("标准号 GB/T 4137-2015").must == []
    assert parse_query("标准号 GB/T 4137-2015").dropped == ["标准号"]
    assert parse_query("编号").must == [[("word", "编号")]]  # alone, the word is what is searched
    assert parse_query("稀土 编号").must == [[("word", "稀土")], [("word", "编号")]]


def test_every_label_names_a_number():
    assert all(label.endswith(("号", "号码")) for label in NUMBER_LABELS)
