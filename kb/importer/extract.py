"""Read structured records out of an article: numbers, plan rows, prices, patents, type, date."""

import re

from kb.importer.split import SOURCE
from kb.numbers import parse_numbers, unique_canonical

# Plan-table headers and the field each column fills.
PLAN_COLUMNS = (
    ("外文版项目计划编号", "foreign_plan_number"), ("外文版计划编号", "foreign_plan_number"),
    ("国家标准计划号", "plan_number"), ("计划号", "plan_number"), ("计划编号", "plan_number"),
    ("国家标准计划项目", "name"), ("项目名称", "name"), ("标准名称", "name"),
    ("标准性质", "nature"), ("制修订", "action"), ("制定/修订", "action"),
    ("代替标准号", "replaces"), ("代替标准", "replaces"), ("项目周期", "period"),
    ("主管部门", "department"), ("归口单位", "committee"), ("起草单位", "drafter"),
    ("外文名称", "foreign_title"), ("翻译语种", "language"), ("翻译承担单位", "translator"),
    ("完成周期", "completion"), ("序号", "seq"),
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
    "发明名称": "title", "专利名称": "title", "名称": "title", "发明人": "inventors", "申请人": "applicant",
    "专利权人": "applicant", "摘要": "abstract", "申请号": "application_no",
}
FULL_DATE = re.compile(r"((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
POLICY_WORDS = re.compile(r"(?:通知|意见|办法|规定|条例|方案|规划|纲要|决定|细则|公告|指南|措施|政策)")
STANDARD_PLAN_WORDS = re.compile(r"(?:标准计划|标准.{0,6}报批|报批公示|标准.{0,4}立项|标准制修订|征求意见稿)")
SECTION_TYPES = {
    "专利简介": "patent", "专利目录": "patent_list", "期刊目录": "journal_toc", "文章摘要": "abstract",
    "市场行情": "market", "稀土知识": "knowledge", "科技前沿": "research", "政策法规": "policy",
}


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
            for name, cell in zip(fields, row):
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
                prices.append({"product": cells[0], "purity": cells[1].replace("≧", "≥").replace(" ", ""),
                               "previous": float(cells[2]), "current": float(cells[3]), "change": cells[4]})
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


def classify(title, section, body, *, plans, prices, patents, standalone=False, doc_numbers=()):
    """The article's type from its section and what it holds."""
    if patents:
        return "patent"
    by_section = SECTION_TYPES.get(section or "")
    if by_section in ("patent_list", "journal_toc", "abstract", "knowledge"):
        return by_section
    if plans or STANDARD_PLAN_WORDS.search(title):
        return "standard_plan"
    if prices or re.search(r"价格走势|价格行情|市场行情|价格指数", title):
        return "market"
    if by_section:
        return by_section
    if standalone:
        return "policy" if POLICY_WORDS.search(title) else "report"
    if doc_numbers and re.search(r"下达|印发|发布|通知|公布", title):
        return "policy"
    if POLICY_WORDS.search(title) and not re.search(r"[：:]", title[:8]):
        return "policy"
    if re.search(r"分析|报告|展望|战略研究|综述|发展策略", title):
        return "report"
    if re.search(r"进展|研制|研发|首次发现|机理|课题组|团队|成果", title):
        return "research"
    return "news"
