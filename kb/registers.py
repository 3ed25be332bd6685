"""Patent and policy registers, pure functions over article records.

A record is a dict: `id`, `title`, `type`, `date`, `issue` (slug), `source`, `body`,
`patents`, `doc_numbers`, plus any front-matter keys the article carries (`issuer`,
`doc_number`, `published`, `effective`, `validity`).  What the front matter states wins;
otherwise each field is derived by the rules below, and the answer says which.
"""

import re

from kb.numbers import fold, parse_lookup

# The issuing body a document-number prefix stands for (国发〔2011〕12号 → 国务院), checked in order.
ISSUER_PREFIXES = (
    ("国办发", "国务院办公厅"),
    ("国发", "国务院"),
    ("工信部联", "工业和信息化部等"),
    ("工信部", "工业和信息化部"),
    ("工信厅", "工业和信息化部办公厅"),
    ("国标委", "国家标准化管理委员会"),
    ("发改", "国家发展改革委"),
    ("自然资", "自然资源部"),
    ("财", "财政部"),
    ("商", "商务部"),
    ("环", "生态环境部"),
    ("署", "海关总署"),
)
# "X、Y印发了《TITLE》" names who issued the document the article is about.
ISSUED_BY = re.compile(r"([\u4e00-\u9fff、]{2,40}?)(?:联合)?(?:印发|发布|下发|出台|公布)了?《([^》]{2,80})》")
ISSUER_NOISE = re.compile(r"^.*?(?:近日|日前|近期|月\d{1,2}日|年\d{1,2}月|，)")
# A （来源：…） line names an issuing body only when it is one (a ministry's website, not a newspaper).
SOURCE_SUFFIXES = re.compile(r"(?:门户)?(?:网站|官网|微信公众号)$")
SOURCE_BODY = re.compile(r"(?:部|委|局|署|院|政府|办公厅|委员会|协会|人大|党委|省委)$")
EFFECTIVE = re.compile(
    r"自\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:施行|实施|执行)"
)
VALIDITY = re.compile(r"有效期(?:为|至)?\s*([^，。；\n]{1,20})")
PLAN_PERIOD = re.compile(r"[（(]\s*((?:19|20)\d{2})\s*[-—–~～至]\s*((?:19|20)\d{2})\s*年?\s*[）)]")
POLICY_FIELDS = (
    "id",
    "title",
    "issuer",
    "doc_number",
    "published",
    "effective",
    "validity",
    "issue",
    "derived",
)


def _ends(record, size=4000):
    """The opening and closing of a text, where documents state their number, issuer and dates."""
    body = record.get("body") or ""
    return body if len(body) <= 2 * size else body[:size] + "\n" + body[-size:]


def is_policy(record):
    """Policy documents: articles typed policy and every standalone document."""
    return record.get("type") == "policy" or record.get("issue") in ("documents", "")


def _is_citation(body, number):
    """A number in brackets right after a 《title》 cites another document:
    《若干意见》（国发〔2011〕12号）."""
    at = body.find(number)
    return at > 0 and re.search(r"》\s*[（(]\s*$", body[max(0, at - 6) : at]) is not None


def own_doc_number(record):
    """The document number of the document itself, not one it cites."""
    numbers = record.get("doc_numbers") or []
    body = fold(_ends(record))
    standalone = record.get("issue") in ("documents", "")
    for number in numbers:
        if number in fold(record.get("title", "")):
            return number
        if not standalone:
            return number  # a bulletin article reports the document its first number names
        if not _is_citation(body, fold(number)):
            return number
    return ""


def derive_issuer(record, doc_number):
    body = record.get("body") or ""
    title = record.get("title", "")
    for m in ISSUED_BY.finditer(body[:600]):
        if m.group(2) in title or title in m.group(2):
            issuer = ISSUER_NOISE.sub("", m.group(1)).strip("、")
            if issuer:
                return issuer
    for prefix, issuer in ISSUER_PREFIXES:
        if doc_number.startswith(prefix):
            return issuer
    source = SOURCE_SUFFIXES.sub("", record.get("source") or "")
    return source if SOURCE_BODY.search(source) else ""


def derive_effective(record):
    m = EFFECTIVE.search(fold(_ends(record)))
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def derive_validity(record):
    m = PLAN_PERIOD.search(fold(record.get("title", "")))
    if m:
        return f"期限 {m.group(1)}–{m.group(2)} 年"
    m = VALIDITY.search(fold(_ends(record)))
    return ("有效期" + m.group(1).strip()) if m else ""


def policy_row(record):
    """One policy document with its issuing body, number, dates and validity; `derived` names the
    fields not stated in the front matter."""
    stated = {
        name: str(record[name])
        for name in ("issuer", "doc_number", "published", "effective", "validity")
        if record.get(name)
    }
    doc_number = stated.get("doc_number") or own_doc_number(record)
    derived = {
        "doc_number": doc_number,
        "issuer": derive_issuer(record, doc_number),
        "published": str(record.get("date") or ""),
        "effective": derive_effective(record),
        "validity": derive_validity(record),
    }
    row = {"id": record["id"], "title": record.get("title", ""), "issue": record.get("issue") or ""}
    row.update({name: stated.get(name) or derived[name] for name in derived})
    row["derived"] = [name for name in derived if name not in stated and derived[name]]
    return row


def build_policies(records):
    rows = [policy_row(r) for r in records if is_policy(r)]
    return sorted(rows, key=lambda r: (r["published"] or "0", r["title"]), reverse=True)


def filter_policies(rows, issuer="", doc_number="", year="", validity="", text=""):
    if issuer:
        rows = [r for r in rows if issuer in r["issuer"]]
    if doc_number:
        parsed = parse_lookup(doc_number)
        if parsed is not None and parsed.kind == "doc":
            rows = [
                r
                for r in rows
                if r["doc_number"]
                and parse_lookup(r["doc_number"])
                and set(parse_lookup(r["doc_number"]).keys) & set(parsed.keys)
            ]
        else:
            rows = [r for r in rows if fold(doc_number) in fold(r["doc_number"])]
    if year:
        rows = [r for r in rows if r["published"].startswith(year) or r["effective"].startswith(year)]
    if validity:
        rows = [r for r in rows if validity in r["validity"]]
    if text:
        rows = [r for r in rows if fold(text) in fold(r["title"])]
    return rows


def build_patents(records):
    """One row per patent number, first report wins; applicant when the record names one."""
    rows, seen = [], set()
    for record in records:
        for patent in record.get("patents") or []:
            if not isinstance(patent, dict) or not patent.get("number") or patent["number"] in seen:
                continue
            seen.add(patent["number"])
            inventors = patent.get("inventors") or []
            rows.append(
                {
                    "number": patent["number"],
                    "title": patent.get("title") or record.get("title", ""),
                    "applicant": patent.get("applicant", ""),
                    "inventors": "，".join(inventors) if isinstance(inventors, list) else str(inventors),
                    "published": str(patent.get("published") or ""),
                    "application_no": patent.get("application_no", ""),
                    "abstract": patent.get("abstract", ""),
                    "article_id": record["id"],
                    "issue": record.get("issue") or "",
                }
            )
    return rows


def find_patent(rows, number):
    parsed = parse_lookup(number)
    if parsed is None or parsed.kind != "patent":
        return None
    for row in rows:
        found = parse_lookup(row["number"])
        if found is not None and set(found.keys) & set(parsed.keys):
            return row
    return None
