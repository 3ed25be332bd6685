"""What a standalone law or regulation says about itself: who issued it, when, from when it applies.

Laws and regulations open with a header of dated lines before their first chapter or article
(`2019年3月2日 中华人民共和国国务院令第709号公布`, `2019年5月1日 施行`,
`1986年3月19日 第六届全国人民代表大会常务委员会第十五次会议通过`).

| field       | rule                                                                                  |
| ----------- | ------------------------------------------------------------------------------------- |
| `published` | the latest header date whose line does not say 施行 (amended versions: the amendment) |
| `effective` | a header line saying 施行; else the text's own `本…自YYYY年M月D日起施行`;               |
|             | `自公布之日起施行` / `自发布之日起施行` → the published date                             |
| `issuer`    | the body named on a header line that 公布 / 发布 / 通过 / 印发 it (table ISSUERS)       |
"""

import re

from kb.importer.dates import BODY_START, FULL_DATE

HEADER_END = re.compile(r"^<!--\s*INFO END\s*-->$")
HEADER_LINES = 12
ENACTING = re.compile(r"公布|发布|通过|印发|批准|修订|修正")
# (pattern on a header line, issuer named); the first row that matches wins.
ISSUERS = (
    (r"全国人民代表大会常务委员会", "全国人民代表大会常务委员会"),
    (r"全国人民代表大会", "全国人民代表大会"),
    (r"国务院、(?:中华人民共和国)?中央军事委员会", "国务院、中央军事委员会"),
    (r"国务院令|国务院(?:第\d+次)?常务会议|国务院发布|国务院公布|国务院印发|国务院批准", "国务院"),
    (
        r"(?P<body>[\u4e00-\u9fff]{2,14}?(?:部|委员会|总局|局|署|办公厅|银行))(?:令第\s*\d+\s*号)?(?:发布|公布|印发)",
        None,
    ),
)
IN_FORCE = re.compile(
    r"本(?:法|条例|办法|规定|细则|决定|规则|实施细则|暂行办法|暂行规定)\s*自\s*"
    r"(?:(?P<year>(?:19|20)\d{2})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日|"
    r"(?P<on_publish>公布|发布|印发)之日)\s*起?\s*施行"
)


def header_lines(texts, limit=HEADER_LINES):
    """The dated lines before a document's body (its first chapter, article or `INFO END` mark)."""
    out = []
    for text in texts[:limit]:
        text = text.strip()
        if HEADER_END.match(text) or BODY_START.match(text):
            break
        if text:
            out.append(text)
    return out


def _iso(match):
    year, month, day = (int(g) for g in match.groups()[:3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year}-{month:02d}-{day:02d}"


def read_issuer(lines):
    for text in lines:
        if not ENACTING.search(text):
            continue
        for pattern, name in ISSUERS:
            match = re.search(pattern, text)
            if match:
                return name or match.group("body")
    return None


def read_document_header(texts):
    """{issuer, published, effective} from a standalone document's lines; unknown fields are None."""
    lines = header_lines(texts)
    published, effective = [], None
    for text in lines:
        dates = [d for d in (_iso(m) for m in FULL_DATE.finditer(text)) if d]
        if not dates:
            continue
        if "施行" in text:
            effective = effective or dates[0]
        else:
            published.extend(dates)
    info = {
        "issuer": read_issuer(lines),
        "published": max(published) if published else None,
        "effective": effective,
    }
    if info["effective"] is None:
        clauses = list(IN_FORCE.finditer("\n".join(texts)))
        if clauses:
            last = clauses[-1]
            info["effective"] = (
                info["published"]
                if last.group("on_publish")
                else f"{int(last.group('year'))}-{int(last.group('month')):02d}-{int(last.group('day')):02d}"
            )
    return info
