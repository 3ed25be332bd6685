import pytest

from kb.errors import BulletinError
from kb.importer.text import clean_line, decode, despace, latex_to_text


@pytest.mark.parametrize(
    "raw, clean",
    [
        (r"$\geq 99\%$", "≥99%"),
        ("$P_2O_5$", "P2O5"),
        (r"$\geq 99\% \text{Nd}_2\text{O}_3 75\%$", "≥99% Nd2O3 75%"),
        (r"$\text{HNO}_3$", "HNO3"),
    ],
)
def test_latex_fragments(raw, clean):
    assert clean_line(raw) == clean


def test_latex_to_text_keeps_plain_text():
    assert latex_to_text("x = 0, 0.05") == "x = 0, 0.05"


def test_despace_between_chinese_and_digits_only():
    assert despace("国家标准委下达 2022 年第二批") == "国家标准委下达2022年第二批"
    assert despace("在 Science Advances 发表") == "在 Science Advances 发表"


def test_clean_line_drops_images_html_and_escapes():
    assert clean_line("![图](a.png)氧化镨钕 ≥99%Nd <sub>2</sub> O <sub>3</sub>") == "氧化镨钕 ≥99%Nd 2 O 3"
    assert clean_line(r"jxlzxt\_2016") == "jxlzxt_2016"


def test_decode_gbk_and_gb18030():
    text = "稀土行业发展规划（2016-2020年）\n"
    assert decode(text.encode("gbk")) == text
    assert decode(text.encode("gb18030")) == text
    assert decode(("\ufeff" + text).encode("utf-8")) == text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20, "binary"),
    ],
)
def test_decode_refuses_bad_input(data, message):
    with pytest.raises(BulletinError, match=message):
        decode(data, "bad.txt")
