"""Reading numbers as staff type them, and the other keys a number may be stored under."""

import pytest

from kb.numbers import (
    doc_keys_like,
    fallback_keys,
    keys_under,
    loose_numbers,
    parse_lookup,
    parse_numbers,
)


@pytest.mark.parametrize(
    "typed, kind, canonical",
    [
        ("XB 617", "standard", "XB 617"),
        ("XB617", "standard", "XB 617"),
        ("CN-115595458-B", "patent", "CN115595458B"),
        ("CN 115595458-B", "patent", "CN115595458B"),
        ("115595458", "patent", "115595458"),
        ("20220762T469", "plan", "20220762-T-469"),
        ("20220762 T 469", "plan", "20220762-T-469"),
        ("工信部联原2022年90号", "doc", "工信部联原〔2022〕90号"),
        ("国标委发 2022 22号", "doc", "国标委发〔2022〕22号"),
    ],
)
def test_loosely_typed_numbers(typed, kind, canonical):
    assert parse_numbers(typed) == [] or parse_numbers(typed)[0].canonical != canonical
    found = loose_numbers(typed)
    assert [(n.kind, n.canonical) for n in found] == [(kind, canonical)]


@pytest.mark.parametrize("text", ["2024年", "第123号", "稀土 价格", "200座", "2016-2020"])
def test_ordinary_words_are_no_loose_numbers(text):
    assert loose_numbers(text) == []


def test_standard_fallbacks_most_specific_first():
    assert fallback_keys(parse_lookup("GB 4137")) == ["gb/t4137", "gb/z4137"]
    assert fallback_keys(parse_lookup("GB/T 4137-2016"))[:3] == ["gb4137-2016", "gb/z4137-2016", "gb/t4137"]
    assert "gb26451" in fallback_keys(parse_lookup("GB/T 26451"))


def test_fallbacks_never_reach_a_longer_part_number():
    keys = fallback_keys(parse_lookup("GB/T 12690.1"))
    assert keys and not any("12690.12" in k for k in keys)


def test_patent_fallbacks_drop_kind_code_then_country():
    assert fallback_keys(parse_lookup("CN115595458A")) == ["cn115595458", "115595458"]


@pytest.mark.parametrize(
    "prefix, index, under",
    [
        ("xb/t617", ["xb/t617.8", "xb/t617.8-2023", "xb/t6170", "8.2023"], ["xb/t617.8", "xb/t617.8-2023"]),
        ("gb/t12690.1", ["gb/t12690.12", "gb/t12690.12-2003"], []),
        ("gb/t4137", ["gb/t4137-2015", "gb/t41370"], ["gb/t4137-2015"]),
    ],
)
def test_keys_under_a_prefix(prefix, index, under):
    assert keys_under(prefix, index) == under


def test_document_number_under_a_shorter_issuer():
    number = loose_numbers("工信部2022年90号")[0]
    assert doc_keys_like(number, ["工信部联原2022-90", "国发2022-90", "工信部联原2022-9"]) == [
        "工信部联原2022-90"
    ]
