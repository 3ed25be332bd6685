"""The records that flow through the pipeline: lines, drafts, articles, problems."""

from dataclasses import dataclass, field

TYPES = (
    "policy",
    "standard_plan",
    "patent",
    "patent_list",
    "market",
    "news",
    "research",
    "knowledge",
    "abstract",
    "journal_toc",
    "report",
)

TYPE_LABELS = {
    "policy": "政策",
    "standard_plan": "标准计划",
    "patent": "专利",
    "patent_list": "专利目录",
    "market": "市场行情",
    "news": "新闻",
    "research": "研究",
    "knowledge": "知识",
    "abstract": "文章摘要",
    "journal_toc": "期刊目录",
    "report": "报告",
}


@dataclass
class Line:
    """One line of a raw issue: its 1-based number, the repaired text and what it is."""

    no: int
    raw: str
    text: str
    heading: int = 0
    drop: str | None = None  # why the line is boilerplate, or None for content
    joined_into: int | None = None  # a number fragment merged into an earlier line

    @property
    def is_content(self):
        return self.drop is None and bool(self.text.strip())


@dataclass
class TocEntry:
    section: str | None
    title: str


@dataclass
class IssueInfo:
    publication: str | None = None
    year: int | None = None
    number: int | None = None
    total: int | None = None
    slug: str = ""
    date: str | None = None
    toc: list = field(default_factory=list)
    found_in: str | None = None  # "cover", "running header" or "--issue"

    def as_dict(self):
        return {
            "publication": self.publication,
            "year": self.year,
            "number": self.number,
            "total": self.total,
            "slug": self.slug,
        }


@dataclass
class ArticleDraft:
    """An article as cut out of an issue, before numbers and records are read."""

    title: str
    lines: list
    section: str | None = None
    source: str | None = None
    heading_lines: int = 1

    @property
    def start(self):
        return self.lines[0].no

    @property
    def end(self):
        return self.lines[-1].no


@dataclass
class Article:
    """One file in content/: front matter fields plus the Markdown body."""

    id: str
    title: str
    type: str
    body: str
    section: str | None = None
    source: str | None = None
    issue: dict = field(default_factory=dict)
    date: str | None = None
    date_from: str | None = None  # "article" (its own dateline) or "issue" (the issue's month)
    standards: list = field(default_factory=list)
    plan_numbers: list = field(default_factory=list)
    patents: list = field(default_factory=list)
    doc_numbers: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    prices: list = field(default_factory=list)
    origin: dict = field(default_factory=dict)
    issuer: str | None = None  # 发文机关 of a standalone document
    published: str | None = None  # 发布日期
    effective: str | None = None  # 施行日期
    validity: str | None = None  # 时效性: 有效, 已修改, 已废止
    path: str | None = None
    sha1: str = ""  # of the file as read, so the indexer need not read it again
    stamp: tuple | None = None  # (mtime_ns, size) of the file as read (kb.content.stat_stamp)

    FRONT_MATTER = (
        "id",
        "title",
        "type",
        "section",
        "source",
        "issue",
        "date",
        "date_from",
        "issuer",
        "published",
        "effective",
        "validity",
        "standards",
        "plan_numbers",
        "patents",
        "doc_numbers",
        "plans",
        "prices",
        "origin",
    )
    LISTS = ("standards", "plan_numbers", "patents", "doc_numbers", "plans", "prices")
    MAPPINGS = ("issue", "origin")
    REQUIRED = ("id", "title", "type")
    # the rest are read as text (a date or a number in YAML becomes its str)
    TEXTS = tuple(sorted(set(FRONT_MATTER) - set(LISTS) - set(MAPPINGS), key=FRONT_MATTER.index))
    OPTIONAL = ("plans", "prices", "date_from", "issuer", "published", "effective", "validity")

    def front_matter(self):
        meta = {}
        for name in self.FRONT_MATTER:
            value = getattr(self, name)
            if name in self.OPTIONAL and not value:
                continue
            meta[name] = value
        return meta

    @property
    def issue_slug(self):
        return (self.issue or {}).get("slug") or ""

    @property
    def year(self):
        """The year facet: an issue's year for its articles, a document's own year otherwise."""
        issue_year = (self.issue or {}).get("year")
        if issue_year:
            return int(issue_year)
        return int(self.date[:4]) if self.date else None


@dataclass
class Problem:
    """One thing wrong with a file, with where it is and what to do."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self):
        where = self.path + (f":{self.line}" if self.line else "")
        return f"{where}: " + (f"{self.field}: " if self.field else "") + self.message
