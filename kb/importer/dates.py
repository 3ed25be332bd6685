"""When an article was published, told apart from the dates it quotes.

An article in an issue takes, in this order:

| rule            | where it looks                                       | example                          |
| --------------- | ---------------------------------------------------- | -------------------------------- |
| dateline        | start of the first paragraph (after a short byline)  | `8月4日，自然资源部召开…`        |
| agency dateline | the same, after an agency or 据… lead                | `新华社北京11月17日电`           |
|                 |                                                      | `据彭博新闻11月5日报道`          |
| signature date  | the last line, a date alone or after a short name    | `工业和信息化部 2022年8月12日`   |
| patent record   | the 公开日 of the patent it describes                | `公开（公告）日期：2024-01-26`   |
| the issue       | otherwise: the issue's year and month                | `2020-11`, `date_from: issue`    |

A date without a year takes the issue's year (the year before when its month is later than the
issue's).  日前 / 近日 / 截至 / 自 … leads are no dateline.  A date after the issue's month or more
than 12 months before it is a quoted date, not a dateline.  Dates inside the body (a record high of
2011, the day a meeting was held) are never read.
"""

import re

from kb.importer.split import SOURCE

FULL_DATE = re.compile(r"((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
DATELINE = re.compile(
    r"^(?P<lead>[^，。,；;！？!?：:（(]{0,24}?)"
    r"(?:(?P<year>(?:19|20)\d{2})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
    r"(?:\s*(?:[上下]午|晚间?|早间?|凌晨|傍晚))?\s*(?P<tail>电|讯|消息|报道|[，,]|\s)"
)
ISO_DATELINE = re.compile(
    r"^(?P<lead>[^，。,；;！？!?：:（(]{0,24}?)(?P<year>(?:19|20)\d{2})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"\s*(?P<tail>电|讯|消息|报道|[，,]|\s)"
)
PUBLISHED_LABEL = re.compile(
    r"^(?:发布|发表|出版)(?:时间|日期)\s*[:：]\s*(?P<year>(?:19|20)\d{2})\s*[年.\-/]\s*(?P<month>\d{1,2})"
    r"\s*[月.\-/]\s*(?P<day>\d{1,2})"
)
SIGNATURE = re.compile(
    r"^(?P<name>[^，。,；;！？!?]{0,30}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*(?P<month>\d{1,2})\s*月"
    r"\s*(?P<day>\d{1,2})\s*日\s*$"
)
AGENCY_LEAD = re.compile(r"(?:社|网|报|台|媒|新闻|通讯|日报|时报|周刊|网站)\s*(?:[\u4e00-\u9fff]{2,4})?\s*$")
BYLINE = re.compile(r"^(?:[（(][^）)]{0,20}[）)]|(?:文|记者|作者|编辑|通讯员)\s*[/:：|].{0,16})$")
MARKUP = re.compile(r"^[#>*\-\s]+")
WINDOW_MONTHS = 12


def _valid(year, month, day):
    return 1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2099


def _months(year, month):
    return year * 12 + month - 1


def in_window(date, issue_year, issue_month):
    """A dateline lies between 12 months before the issue and the end of the issue's month."""
    if issue_year is None:
        return True
    year, month = int(date[:4]), int(date[5:7])
    last = _months(issue_year, issue_month or 12)
    return last - WINDOW_MONTHS <= _months(year, month) <= last


def _year_for(month, issue_year, issue_month):
    if issue_year is None:
        return None
    return issue_year - 1 if issue_month and month > issue_month else issue_year


def _lead_ok(lead, tail):
    """Nothing before the date, or a lead that says who reported it (an agency, 据…, 本报讯)."""
    lead = lead.strip()
    if not lead:
        return True
    if lead.endswith(("讯", "电")):
        return True
    reported = tail in ("电", "讯", "报道", "消息")
    return reported and (lead.startswith("据") or bool(AGENCY_LEAD.search(lead)))


def _from_match(match, issue_year, issue_month):
    month, day = int(match.group("month")), int(match.group("day"))
    year = match.group("year")
    year = int(year) if year else _year_for(month, issue_year, issue_month)
    if year is None or not _valid(year, month, day):
        return None
    date = f"{year}-{month:02d}-{day:02d}"
    return date if in_window(date, issue_year, issue_month) else None


def _paragraphs(body):
    return [MARKUP.sub("", p).strip() for p in re.split(r"\n\s*\n|\n", body or "") if p.strip()]


def read_dateline(body, issue_year=None, issue_month=None):
    """The date an article gives itself at its start or as its signature, or None."""
    paragraphs = [p for p in _paragraphs(body) if "|" not in p[:2]]
    while paragraphs and SOURCE.match(paragraphs[-1]):
        paragraphs.pop()
    if not paragraphs:
        return None
    first = paragraphs[:2] if BYLINE.match(paragraphs[0]) else paragraphs[:1]
    for text in first:
        label = PUBLISHED_LABEL.match(text)
        if label:
            return _from_match(label, issue_year, issue_month)
        for pattern in (DATELINE, ISO_DATELINE):
            match = pattern.match(text)
            if match and _lead_ok(match.group("lead"), match.group("tail")):
                return _from_match(match, issue_year, issue_month)
    last = paragraphs[-1]
    for pattern in (PUBLISHED_LABEL, SIGNATURE):
        match = pattern.match(last)
        if match and len(paragraphs) > 1:
            return _from_match(match, issue_year, issue_month)
    return None


def article_date(body, issue_year=None, issue_month=None, patents=()):
    """(date, date_from): the article's own date ("article"), else the issue's ("issue")."""
    own = read_dateline(body, issue_year, issue_month)
    if own is None:
        for patent in patents:
            published = str(patent.get("published") or "")
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) and in_window(
                published, issue_year, issue_month
            ):
                own = published
                break
    if own:
        return own, "article"
    if issue_year and issue_month:
        return f"{issue_year}-{issue_month:02d}", "issue"
    if issue_year:
        return str(issue_year), "issue"
    return None, None


BODY_START = re.compile(r"^\s*(?:#|第[一二三四五六七八九十百零〇\d]+[章节条])")


def version_date(lines, limit=10):
    """A standalone text's date: the latest full date in its header, the lines before the body.

    Amended laws and revised policies list their history there (adopted …, amended …), so the
    latest date names this version; two versions of one title get two dates.
    """
    dates = []
    for text in lines[:limit]:
        if BODY_START.match(text):
            break
        if "施行" in text:  # the day it takes effect, not the day it was published
            continue
        for match in FULL_DATE.finditer(text):
            year, month, day = (int(g) for g in match.groups())
            if _valid(year, month, day):
                dates.append(f"{year}-{month:02d}-{day:02d}")
    return max(dates) if dates else None
