"""The standards register: one entry per standard or plan, with its life as the bulletins report it.

Pure functions over article records (dicts with `id`, `title`, `date`, `issue`, `body`,
`standards`, `plans`).  A plan's national row and its foreign-language (外文版) row become
one entry; a standard is replaced by a later version of the same number (XB/T 403-2012 by
XB/T 403-2023) and is put up for revision by a plan whose row names it under 代替标准.
"""

import itertools
import re
from dataclasses import dataclass, field

from kb.numbers import fold, keys_of, parse_lookup, parse_numbers

STAGES = ("计划下达", "征求意见", "报批公示", "发布", "实施", "被代替")
# What an article's title says happened to the standards it lists: (stage, pattern), first match wins.
TITLE_STAGES = (
    ("征求意见", r"征求意见|意见稿"),
    ("报批公示", r"报批"),
    ("计划下达", r"下达.{0,20}计划|计划.{0,6}下达|立项"),
    ("实施", r"实施"),
    ("发布", r"发布|批准|公布|公告"),
)
# 标准性质 read from a number when the table leaves it blank: (pattern on the number, nature).
# Plan numbers carry T (推荐性), Z (指导性技术文件) or Q (强制性); standard codes /T, /Z or none.
NATURE_FROM_NUMBER = (
    (r"^\d{8}-T-", "推荐"),
    (r"^\d{8}-Z-", "指导"),
    (r"^\d{8}-Q-", "强制"),
    (r"^[A-Z]+/T ", "推荐"),
    (r"^[A-Z]+/Z ", "指导"),
    (r"^GB \d", "强制"),
)
# A cell that opens a standard's description in a table flattened to one cell per paragraph.
DESCRIPTION_START = re.compile(r"^(?:本(?:文件|标准|部分)|适用于|规定了)")
ENTRY_FIELDS = (
    "number",
    "kind",
    "name",
    "nature",
    "action",
    "plan_number",
    "foreign_plan_number",
    "foreign_title",
    "language",
    "committee",
    "department",
    "drafters",
    "translator",
    "period",
)


@dataclass
class Stage:
    stage: str
    date: str
    article_id: str
    title: str
    note: str = ""


@dataclass
class Entry:
    number: str  # canonical standard number, or the plan number for a plan without one
    kind: str  # "standard" | "plan"
    name: str = ""
    nature: str = ""
    action: str = ""
    plan_number: str = ""
    foreign_plan_number: str = ""
    foreign_title: str = ""
    language: str = ""
    committee: str = ""
    department: str = ""
    drafters: str = ""
    translator: str = ""
    period: str = ""
    replaces: list = field(default_factory=list)
    replaced_by: list = field(default_factory=list)  # [{"number", "how"}]
    stages: list = field(default_factory=list)

    @property
    def keys(self):
        found = set()
        for value in (self.number, self.plan_number, self.foreign_plan_number):
            if value:
                found.update(keys_of(value))
        return found

    @property
    def status(self):
        return self.stages[-1].stage if self.stages else ""

    @property
    def year(self):
        dates = [s.date[:4] for s in self.stages if s.date]
        return max(dates) if dates else ""

    def replaced_by_numbers(self):
        return [r["number"] for r in self.replaced_by]

    def as_json(self):
        data = {name: getattr(self, name) for name in ENTRY_FIELDS}
        data.update(
            replaces=list(self.replaces),
            replaced_by=list(self.replaced_by),
            status=self.status,
            stages=[vars(s) for s in self.stages],
        )
        return data


def nature_of(number):
    for pattern, nature in NATURE_FROM_NUMBER:
        if re.search(pattern, number or ""):
            return nature
    return ""


def title_stage(title):
    for stage, pattern in TITLE_STAGES:
        if re.search(pattern, title or ""):
            return stage
    return ""


def reports_standards(record):
    """Whether the article is about standards (so its title's stage applies), not merely citing one."""
    return record.get("type") == "standard_plan" or "标准" in (record.get("title") or "")


def _canonical(text):
    numbers = [n for n in parse_numbers(fold(text or "")) if n.kind == "standard"]
    return numbers[0].canonical if numbers else ""


def _stem(number):
    """The number without its year: versions of one standard share it."""
    return keys_of(number)[0] if number else ""


def _year(number):
    m = re.search(r"[-:]((?:19|20)\d{2})$", number or "")
    return m.group(1) if m else ""


def flattened_rows(body):
    """Rows of a standards table flattened to one cell per paragraph: number, name, description, replaced.

    A paragraph that is only a standard number opens a row; the short paragraphs after it form the
    name until one opens the description (本文件规定了…); a later paragraph holding only an older
    version of the same number is the standard it replaces.
    """
    rows, row, stage = [], None, ""
    for paragraph in re.split(r"\n\s*\n", body or ""):
        text = re.sub(r"\s+", "", fold(paragraph.strip().strip("|").strip()))
        numbers = [n for n in parse_numbers(text) if n.kind == "standard"]
        alone = len(numbers) == 1 and numbers[0].end - numbers[0].start >= len(text) - 1
        if (
            alone
            and row
            and _stem(numbers[0].canonical) == _stem(row["number"])
            and _year(numbers[0].canonical) < _year(row["number"])
        ):
            row["replaces"] = numbers[0].canonical
            row, stage = None, ""
        elif alone:
            row, stage = {"number": numbers[0].canonical, "name": "", "replaces": ""}, "name"
            rows.append(row)
        elif row and stage == "name" and not DESCRIPTION_START.search(text) and len(text) <= 40:
            if re.fullmatch(r"\d{1,3}", text):  # the next row's 序号
                row, stage = None, ""
            else:
                row["name"] += text
        elif row:
            stage = "description"
    return rows


def _date(record):
    return str(record.get("date") or "")


def _stage(name, record, note=""):
    return Stage(name, _date(record), record["id"], record.get("title", ""), note)


def _entry(entries, number, kind):
    return entries.setdefault(number, Entry(number=number, kind=kind))


def _fill(entry, values):
    for name, value in values.items():
        if value and not getattr(entry, name):
            setattr(entry, name, value)


def _add_stage(entry, stage):
    if not any(s.stage == stage.stage and s.article_id == stage.article_id for s in entry.stages):
        entry.stages.append(stage)


def _link(older, newer, how):
    if newer.number not in older.replaced_by_numbers():
        older.replaced_by.append({"number": newer.number, "how": how})
    if older.number not in newer.replaces:
        newer.replaces.append(older.number)


def _read_plans(record, entries):
    stage = title_stage(record.get("title")) or "计划下达"
    for row in record.get("plans") or []:
        plan = row.get("plan_number") or row.get("foreign_plan_number")
        if not plan:
            continue
        entry = _entry(entries, plan, "plan")
        _fill(
            entry,
            {
                "name": row.get("name", ""),
                "nature": row.get("nature", ""),
                "action": row.get("action", ""),
                "plan_number": row.get("plan_number", ""),
                "foreign_plan_number": row.get("foreign_plan_number", ""),
                "foreign_title": row.get("foreign_title", ""),
                "language": row.get("language", ""),
                "committee": row.get("committee", ""),
                "department": row.get("department", ""),
                "drafters": row.get("drafter", ""),
                "translator": row.get("translator", ""),
                "period": str(row.get("period") or ""),
            },
        )
        _add_stage(entry, _stage(stage, record, "外文版" if row.get("foreign_plan_number") else ""))
        replaced = _canonical(row.get("replaces", ""))
        if replaced:
            old = _entry(entries, replaced, "standard")
            _fill(old, {"name": row.get("name", ""), "committee": row.get("committee", "")})
            _link(old, entry, "修订计划")
            _add_stage(old, _stage("计划下达", record, f"列入修订计划 {plan}"))


def _read_standards(record, entries):
    planned = {_canonical(r.get("replaces", "")) for r in record.get("plans") or []}
    table = {row["number"]: row for row in flattened_rows(record.get("body", ""))}
    numbers = [n for n in record.get("standards") or [] if n not in planned]
    newest = {}
    for number in numbers:
        stem = _stem(number)
        if _year(number) > _year(newest.get(stem, "")):
            newest[stem] = number
    stage = title_stage(record.get("title")) if reports_standards(record) else ""
    for number in numbers:
        entry = _entry(entries, number, "standard")
        row = table.get(number) or {}
        _fill(entry, {"name": row.get("name", "")})
        successor = newest[_stem(number)]
        if successor != number:  # an older version listed beside its successor
            continue
        _add_stage(entry, _stage(stage or "提及", record))
        replaced = row.get("replaces") or ""
        older = [n for n in numbers if _stem(n) == _stem(number) and n != number]
        for old_number in ([replaced] if replaced else []) + older:
            old = _entry(entries, old_number, "standard")
            _fill(old, {"name": entry.name})
            _link(old, entry, stage or "新版本")
            _add_stage(old, _stage("被代替", record, f"由 {number} 代替" + (f"（{stage}）" if stage else "")))


def _link_versions(entries):
    """A standard is replaced by any later version of the same number the register knows."""
    by_stem = {}
    for entry in entries.values():
        if entry.kind == "standard" and _year(entry.number):
            by_stem.setdefault(_stem(entry.number), []).append(entry)
    for versions in by_stem.values():
        versions.sort(key=lambda e: _year(e.number))
        for older, newer in itertools.pairwise(versions):
            _link(older, newer, "新版本")


def build_register(records):
    """Every standard and plan the records report, merged by number, stages in date order."""
    entries = {}
    for record in records:
        _read_plans(record, entries)
        _read_standards(record, entries)
    _link_versions(entries)
    for entry in entries.values():
        entry.nature = entry.nature or nature_of(entry.plan_number or entry.number)
    order = {name: i for i, name in enumerate(STAGES)}
    for entry in entries.values():
        entry.stages.sort(key=lambda s: (s.date, order.get(s.stage, -1)))
    return sorted(entries.values(), key=lambda e: (e.kind != "standard", e.number))


def wanted_key(parsed):
    """The key a typed number must match, as search matches it: the most specific one (a year typed
    must match, a missing one need not)."""
    return max(parsed.keys, key=len)


def find(register, number):
    """Entries about one typed number (read as search reads it), with the entries they replace or are
    replaced by; None if the text is not a number."""
    parsed = parse_lookup(number)
    if parsed is None:
        return None
    return [e for e in register if wanted_key(parsed) in e.keys]


def filter_register(register, text="", stage="", committee="", year=""):
    """Entries matching a typed number or words, a stage, a committee and a year."""
    rows = register
    text = (text or "").strip()
    if text:
        parsed = parse_lookup(text)
        if parsed is not None:
            wanted = wanted_key(parsed)
            rows = [
                e
                for e in rows
                if wanted in e.keys or any(wanted in keys_of(n) for n in e.replaces + e.replaced_by_numbers())
            ]
        else:
            needle = fold(text).lower()
            rows = [
                e
                for e in rows
                if any(
                    needle in fold(str(v)).lower()
                    for v in (e.number, e.name, e.foreign_title, e.committee, e.drafters)
                )
            ]
    if stage:
        rows = [e for e in rows if any(s.stage == stage for s in e.stages)]
    if committee:
        rows = [e for e in rows if committee in e.committee]
    if year:
        rows = [e for e in rows if any(s.date.startswith(year) for s in e.stages)]
    return rows
