import pytest

from kb.numbers import parse_lookup, parse_numbers, repair_numbers


@pytest.mark.parametrize(
    "typed",
    [
        "GB/T 4137-2015",
        "GB/T4137-2015",
        "gb/t 4137",
        "GBT4137",
        "ＧＢ／Ｔ　４１３７－２０１５",
        "GB/T 4137—2015",
        "gb/t4137-2015",
    ],
)
def test_standard_variants_read_as_gbt_4137(typed):
    number = parse_lookup(typed)
    assert number.kind == "standard"
    assert number.canonical.startswith("GB/T 4137")
    assert "gb/t4137" in number.keys


def test_bare_number_with_year_is_a_standard_key():
    number = parse_lookup("4137-2015")
    assert number.keys == ("4137-2015",)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("GB/T 12690.12-2003", "GB/T 12690.12-2003"),
        ("XB/T403-2023", "XB/T 403-2023"),
        ("YS/T 1234-2019", "YS/T 1234-2019"),
        ("GB 26451-2011", "GB 26451-2011"),
        ("GB/Z 1.1-2020", "GB/Z 1.1-2020"),
        ("T/CSRE 00123-2020", "T/CSRE 00123-2020"),
        ("ISO 9001:2015", "ISO 9001:2015"),
        ("20220754 -T-469", "20220754-T-469"),
        ("202207 62-T-4 69", "20220762-T-469"),
        ("20230001-Q-469", "20230001-Q-469"),  # a mandatory standard's plan
        ("20230002 - Z - 469", "20230002-Z-469"),  # a guiding technical document's plan
        ("W2022 2365", "W20222365"),
        ("CN117446850A", "CN117446850A"),
        ("CN 115595458 B", "CN115595458B"),
        ("工信部联原〔2022〕90号", "工信部联原〔2022〕90号"),
        ("（国标委发[2022]22 号）", "国标委发〔2022〕22号"),
        ("国办发（2015）95号", "国办发〔2015〕95号"),
    ],
)
def test_canonical_forms(text, canonical):
    assert [n.canonical for n in parse_numbers(text)] == [canonical]


@pytest.mark.parametrize(
    "a, b",
    [
        ("GB/T 12690.1", "GB/T 12690.12-2003"),
        ("GB 26451", "GB/T 26451-2011"),
        ("GB/T 4137", "GB/T 4138-2015"),
    ],
)
def test_near_misses_share_no_key(a, b):
    assert not set(parse_lookup(a).keys) & set(parse_lookup(b).keys)


def test_patent_keys_without_kind_code_and_country():
    number = parse_lookup("cn115595458")
    assert "cn115595458" in number.keys
    full = parse_lookup("CN115595458B")
    assert set(number.keys) & set(full.keys)


def test_doc_number_bracket_variants_share_a_key():
    keys = {
        parse_lookup(t).keys
        for t in ("工信部联原〔2022〕90号", "工信部联原[2022]90号", "工信部联原（2022）90 号")
    }
    assert len(keys) == 1


def test_ordinary_text_has_no_numbers():
    assert parse_numbers("稀土价格触及年内低点，同比增长15%，2022年8月") == []
    assert parse_lookup("钕铁硼") is None


def test_repair_numbers_closes_spaces_inside_plan_numbers():
    assert repair_numbers("1\tW2022 2365\t202207 62-T-4 69") == "1\tW20222365\t20220762-T-469"


@pytest.mark.parametrize("typed", ["20230001-Q-469", "２０２３０００１－Ｑ－４６９", "20230001 - Q - 469"])
def test_mandatory_plan_numbers_are_read_however_typed(typed):
    number = parse_lookup(typed)
    assert (number.kind, number.canonical) == ("plan", "20230001-Q-469")


@pytest.mark.parametrize("typed", ["20230001Q469", "20230001 q 469", "20230001-q469"])
def test_mandatory_plan_numbers_typed_without_dashes_are_found_loosely(typed):
    from kb.numbers import loose_numbers

    assert [n.canonical for n in loose_numbers(typed)] == ["20230001-Q-469"]


@pytest.mark.parametrize(
    "typed", ["GB∕T 4137-2015", "GB⁄T4137−2015"]
)  # division slash, fraction slash, minus
def test_slash_and_minus_look_alikes_read_as_ascii(typed):
    assert parse_lookup(typed).canonical == "GB/T 4137-2015"


@pytest.mark.parametrize("typed", ["专利号117446850", "117446850号专利", "公开号 117446850"])
def test_bare_patent_digits_after_or_before_chinese_are_read(typed):
    from kb.numbers import loose_numbers

    assert [n.canonical for n in loose_numbers(typed)] == ["117446850"]


def test_digits_inside_a_latin_word_are_not_a_number():
    from kb.numbers import loose_numbers

    assert loose_numbers("ab117446850") == []
