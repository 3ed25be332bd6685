"""The table of bodies and their short names (kb/data/abbreviations.tsv): read both ways."""

import pytest

from kb.abbreviations import TABLE, forms, join_spaced, other_forms, read_table
from kb.errors import KbError
from kb.query import clause_units


def test_every_row_has_a_full_name_and_a_short_one_and_no_name_is_in_two_rows():
    rows = read_table()
    assert len(rows) >= 30
    names = [name for _, row in rows for name in row]
    assert len(names) == len(set(names))
    assert all(len(row) >= 2 for _, row in rows)


@pytest.mark.parametrize(
    "short, full",
    [
        ("工信部", "工业和信息化部"),
        ("发改委", "国家发展和改革委员会"),
        ("国资委", "国务院国有资产监督管理委员会"),
        ("国家标准委", "国家标准化管理委员会"),
        ("市场监管总局", "国家市场监督管理总局"),
        ("中科院", "中国科学院"),
        ("工程院", "中国工程院"),
        ("稀土行业协会", "中国稀土行业协会"),
        ("有研稀土", "有研稀土新材料股份有限公司"),
        ("北科大", "北京科技大学"),
        ("江理", "江西理工大学"),
        ("宁波材料所", "中国科学院宁波材料技术与工程研究所"),
        ("稀土标委会", "全国稀土标准化技术委员会"),
        ("赣州稀土院", "赣州稀土研究院"),
    ],
)
def test_expanded_both_ways(short, full):
    assert full in other_forms(short)
    assert short in other_forms(full)


def test_a_name_not_in_the_table_has_no_other_forms():
    assert other_forms("稀土") == ()


def test_names_with_a_slash_and_a_space_are_read_whole():
    assert join_spaced("sac/tc 229 稀土").split()[0] == "全国稀土标准化技术委员会"
    assert join_spaced("sac/tc229").strip() == "全国稀土标准化技术委员会"
    assert join_spaced("sac/tc 2290") == "sac/tc 2290"


def test_a_query_word_naming_a_body_is_one_unit_with_every_name():
    units = clause_units(("word", "工信部稀土"))
    assert units[0].label == "工信部" and ("工业和信息化部",) in units[0].alternatives
    assert units[1].label == "稀土"


def test_a_multi_word_full_name_is_one_unit():
    units = clause_units(("word", "国家发展和改革委员会"))
    assert len(units) == 1 and ("发改委",) in units[0].alternatives


@pytest.mark.parametrize(
    "text, message",
    [
        ("工业和信息化部\n", "at least one short name"),
        ("工业和信息化部\t工信部\n中国科学院\t工信部\n", "already on line 2"),
    ],
)
def test_bad_table_lines_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "abbreviations.tsv"
    path.write_text("# comment\n" + text, encoding="utf-8")
    with pytest.raises(KbError) as caught:
        read_table(path)
    assert str(path) in caught.value.message and message in caught.value.message


def test_the_shipped_table_is_the_default():
    assert TABLE.name == "abbreviations.tsv" and "工信部" in forms()
