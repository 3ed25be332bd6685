"""The marks a bulletin's text is cut by: the source line that ends an article, page numbers, table rules."""

import re

SOURCE_MARK = (
    r"[（(【\[]\s*(?:文章|信息|资料|新闻)?来\s*源(?:于)?\s*[:：]\s*(?P<source>[^）)】\]]{1,60}?)\s*[）)】\]]"
)
SOURCE = re.compile(rf"^{SOURCE_MARK}\s*$")
# a source line glued to the end of the last paragraph: `…的资助。 （来源：宁波材料所）`
SOURCE_END = re.compile(rf"(?<=[。！？!?”」])\s*{SOURCE_MARK}\s*$")


def source_at_end(text):
    """The source match a line ends with (a line of its own, or glued after a sentence), else None."""
    text = text.strip()
    return SOURCE.match(text) or SOURCE_END.search(text)


PAGE_NUMBER = re.compile(
    r"^(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3}|Page\s*\d+)$",
    re.I,
)
PAGE_MARK = re.compile(
    r"(?<![A-Za-z0-9\-－—–])[-－—–]\s*\d{1,3}\s*[-－—–](?![A-Za-z0-9\-－—–])|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?"
)
TABLE_RULE = re.compile(r"^[\s|:\-—–=+\t]*$")
BARE_NUMBER = re.compile(r"^\d{1,3}$")
