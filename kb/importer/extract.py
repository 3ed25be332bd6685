"""Read structured records out of an article: numbers, plan rows, prices, patents, type, date."""

import re

from kb.importer.split import SOURCE
from kb.numbers import parse_numbers, unique_canonical

# Plan-table headers and the field each column fills.
PLAN_COLUMNS = (
    ("外文版项目计划编号", "foreign_plan_number"),
    ("外文版计划编号", "foreign_plan_number"),
    ("国家标准计划号", "plan_number"),
    ("计划号", "plan_number"),
    ("计划编号", "plan_number"),
    ("国家标准计划项目", "name"),
    ("项目名称", "name"),
    ("标准名称", "name"),
    ("标准性质", "nature"),
    ("制修订", "action"),
    ("制定/修订", "action"),
    ("代替标准号", "replaces"),
    ("代替标准", "replaces"),
    ("项目周期", "period"),
    ("主管部门", "department"),
    ("归口单位", "committee"),
    ("起草单位", "drafter"),
    ("外文名称", "foreign_title"),
    ("翻译语种", "language"),
    ("翻译承担单位", "translator"),
    ("完成周期", "completion"),
    ("序号", "seq"),
)
PRICE_ROW = re.compile(
    r"^(?P<product>[\u4e00-\u9fffA-Za-z]{2,12})\s+(?P<purity>[≥≧>=≤]?\s*[\d.]+\s*%[^\s\t]*(?:\s*±\s*\d+%)?)\s+"
    r"(?P<previous>\d+(?:\.\d+)?)\s+(?P<current>\d+(?:\.\d+)?)\s+(?P<change>[-+]?\d+(?:\.\d+)?%)$"
)
PRICE_CELLS = re.compile(r"^\d+(?:\.\d+)?\t\d+(?:\.\d+)?\t[-+]?\d+(?:\.\d+)?%$")
PATENT_FIELD = re.compile(
    r"^\**\s*(?P<label>发明名称|专利名称|名称|公开（公告）号|公开\(公告\)号|公开号|公告号|公开（公告）日期?|"
    r"公开\(公告\)日期?|公开日期?|公告日期?|申请号|申请日期?|发明人|申请人|专利权人|摘要)\s*\**\s*[:：]\s*\**\s*(?P<value>.*)$"
)
PATENT_KEYS = {
    "发明名称": "title",
    "专利名称": "title",
    "名称": "title",
    "发明人": "inventors",
    "申请人": "applicant",
    "专利权人": "applicant",
    "摘要": "abstract",
    "申请号": "application_no",
}
FULL_DATE = re.compile(r"((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
POLICY_WORDS = re.compile(r"(?:通知|意见|办法|规定|条例|方案|规划|纲要|决定|细则|公告|指南|措施|政策)")
STANDARD_PLAN_WORDS = re.compile(r"(?:标准计划|标准.{0,6}报批|报批公示|标准.{0,4}立项|标准制修订|征求意见稿)")


def _plan_field(header):
    header = re.sub(r"\s+", "", header)
    for label, name in PLAN_COLUMNS:
        if label in header:
            return name
    return None


def read_plans(tables):
    """Rows of standard plan tables as dicts; numbers in canonical form."""
    plans = []
    for rows in tables:
        fields = [_plan_field(h) for h in rows[0]]
        if "plan_number" not in fields and "foreign_plan_number" not in fields:
            continue
        for row in rows[1:]:
            record = {}
            for name, cell in zip(fields, row, strict=False):
                if name and cell and name not in record:
                    record[name] = re.sub(r"\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+", "", cell)
            for key in ("plan_number", "foreign_plan_number", "replaces"):
                if record.get(key):
                    numbers = parse_numbers(record[key])
                    if numbers:
                        record[key] = numbers[0].canonical
            if record.get("plan_number") or record.get("foreign_plan_number"):
                record.pop("seq", None)
                plans.append(record)
    return plans


def read_prices(tables, paragraphs):
    """Price rows (product, purity, previous and current average, change) from tables or lines."""
    prices = []
    for rows in tables:
        for row in rows[1:]:
            cells = [c.strip() for c in row if c.strip()]
            if len(cells) == 5 and PRICE_CELLS.match("\t".join(cells[2:])) and "%" in cells[1]:
                prices.append(
                    {
                        "product": cells[0],
                        "purity": cells[1].replace("≧", "≥").replace(" ", ""),
                        "previous": float(cells[2]),
                        "current": float(cells[3]),
                        "change": cells[4],
                    }
                )
    if prices:
        return prices
    candidates = [p for p in paragraphs if len(p) < 80]
    for text in candidates:
        match = PRICE_ROW.match(re.sub(r"\s+", " ", text.strip()))
        if match:
            row = match.groupdict()
            row["purity"] = row["purity"].replace("≧", "≥").replace(" ", "")
            for key in ("previous", "current"):
                row[key] = float(row[key])
            prices.append(row)
    return prices


def read_patents(lines):
    """Patent abstracts written as `label：value` lines; a repeated label starts a new record."""
    patents, record = [], {}
    for text in lines:
        match = PATENT_FIELD.match(text.strip())
        if not match:
            if record.get("abstract") and text.strip() and not SOURCE.match(text.strip()):
                record["abstract"] += text.strip()
            continue
        label, value = match.group("label"), match.group("value").strip().strip("*").strip()
        if "号" in label and "申请" not in label:
            key = "number"
            numbers = [n for n in parse_numbers(value) if n.kind == "patent"]
            value = numbers[0].canonical if numbers else value
        elif "日" in label:
            key = "published" if "申请" not in label else "filed"
            date = FULL_DATE.search(value)
            value = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}" if date else value
        else:
            key = PATENT_KEYS.get(label, label)
        if key == "inventors":
            value = [v.strip() for v in re.split(r"[，,;；、]", value) if v.strip()]
        if key in record:
            patents.append(record)
            record = {}
        record[key] = value
    if record:
        patents.append(record)
    return [p for p in patents if p.get("number")]


def read_numbers(text):
    numbers = parse_numbers(text)
    return {
        "standards": unique_canonical(numbers, "standard"),
        "plan_numbers": unique_canonical(numbers, "plan"),
        "doc_numbers": unique_canonical(numbers, "doc"),
        "patent_numbers": unique_canonical(numbers, "patent"),
    }


# How a careful editor files an article.  Rows are tried top to bottom; the first whose
# evidence matches names the type.  Evidence: `records` the structured records found (patent
# abstracts, plan rows, price rows), `section` the section it sits in, `title`, `lead` the
# first 300 characters of the body, `body` the whole body, `doc+title` a document number in
# the text and the title's verb.  Specific evidence (records, a telling title) outranks the
# section, and the section outranks what the lead paragraph suggests.
TYPE_RULES = (
    # type           evidence      pattern
    ("patent", "records", "patents"),
    ("patent_list", "section", r"专利目录"),
    ("journal_toc", "section", r"期刊目录"),
    ("abstract", "section", r"文章摘要|论文摘要"),
    ("abstract", "body", r"关\s*键\s*词\s*[:：]"),
    ("knowledge", "section", r"知识|科普"),
    ("standard_plan", "records", "plans"),
    ("standard_plan", "title", STANDARD_PLAN_WORDS.pattern),
    ("market", "records", "prices"),
    ("market", "title", r"价格|均价|走势|行情|报价|市场(?:分析|回顾|周报|月报)"),
    ("report", "title", r"概述|综述|分析|报告|展望|战略研究|发展策略|盘点|回顾"),
    ("policy", "doc+title", r"下达|印发|发布|通知|公布"),
    (
        "policy",
        "title",
        (
            r"^关于.+的(?:通知|意见|办法|规定|决定|方案|公告)|"
            r"(?:通知|意见|办法|规定|条例|方案|规划|纲要|决定|细则|公告|指南|措施)"
            r"(?:[（(][^）)]*[）)])?$"
        ),
    ),
    (
        "research",
        "title",
        (
            r"研究(?![院会])|团队|课题组|取得.{0,6}进展|获进展|新进展|发现|研制|研发|"
            r"首次|机理|问世"
        ),
    ),
    ("knowledge", "lead", r"^[^。！？\n]{0,40}(?:是指|的总称|基本特征是|是一种|可分为)"),
    ("research", "section", r"科技前沿|技术进展|科研进展|科研动态"),
    (
        "research",
        "lead",
        (
            r"(?:研究团队|课题组|研究人员|研究员|科研人员|科学家|教授)[^。]{0,30}"
            r"(?:发现|研制|开发|制备|合成|报道|提出|实现|设计|揭示|成功|发表)"
        ),
    ),
    ("policy", "section", r"政策|法规"),
    ("market", "section", r"市场|行情|价格"),
    ("news", "default", r""),
)
_COMPILED_RULES = tuple((kind, evidence, re.compile(pattern)) for kind, evidence, pattern in TYPE_RULES)


def type_evidence(title, section, body, records, doc_numbers):
    """The text each kind of evidence in TYPE_RULES is matched against."""
    return {
        "section": section or "",
        "title": title or "",
        "lead": (body or "")[:300].lstrip("#* \n"),
        "body": body or "",
        "doc+title": (title or "") if doc_numbers else "",
        "records": " ".join(name for name, found in records.items() if found),
        "default": "",
    }


def classify(title, section, body, *, plans, prices, patents, standalone=False, doc_numbers=()):
    """The article's type: the first row of TYPE_RULES its evidence matches."""
    if standalone:
        return "policy" if POLICY_WORDS.search(title) else "report"
    evidence = type_evidence(
        title, section, body, {"patents": patents, "plans": plans, "prices": prices}, doc_numbers
    )
    for kind, where, pattern in _COMPILED_RULES:
        text = evidence[where]
        if where == "default" or (text and pattern.search(text)):
            return kind
    return "news"
