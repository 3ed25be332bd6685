"""The fast front-matter reader gives exactly what PyYAML's safe loader gives, or gives up."""

import datetime

import pytest
import yaml
from conftest import CONTENT, LAWS_ARCHIVE, ROOT, needs_laws

from kb.content import read_article, render
from kb.frontmatter import _Loader, dump_frontmatter, fast_yaml, parse_frontmatter, split_frontmatter
from kb.models import Article


def by_yaml(raw):
    return yaml.load(raw, Loader=_Loader) or {}


def same_as_yaml(raw):
    """True when the fast reader reads `raw` and agrees with yaml, key order and types included."""
    fast = fast_yaml(raw)
    if fast is None:
        return False
    slow = by_yaml(raw)
    assert fast == slow
    assert repr(fast) == repr(slow)  # same types (1 vs True vs '1') and key order
    return True


def front_matters(paths):
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            raw, _, _ = split_frontmatter(text, path)
            if raw is not None:
                yield path, raw


# Values the fast reader reads itself: (front matter, what yaml gives).
READ = [
    ("title: 稀土管理条例", {"title": "稀土管理条例"}),
    ("title: 关于 稀土 的通知 第一条", {"title": "关于 稀土 的通知 第一条"}),
    ("date: '2024-01-05'", {"date": "2024-01-05"}),
    ("month: 2024-01", {"month": "2024-01"}),  # not a date: a string
    ("code: GB/T 12345-2020", {"code": "GB/T 12345-2020"}),
    ("year: 2024", {"year": 2024}),
    ("n: 0", {"n": 0}),
    ("n: '0012'", {"n": "0012"}),
    ("f: 1e3", {"f": "1e3"}),  # YAML 1.1 floats need a dot: a string
    (
        "a: yes\nb: no\nc: on\nd: Off\ne: true\nf: FALSE",
        dict(a=True, b=False, c=True, d=False, e=True, f=False),
    ),
    ("a: 'yes'\nb: y\nc: n", {"a": "yes", "b": "y", "c": "n"}),
    ("a: null\nb: ~\nc: Null\nd:", {"a": None, "b": None, "c": None, "d": None}),
    ("a: 'null'\nb: nullify", {"a": "null", "b": "nullify"}),
    ("s: 'it''s: here # not a comment'", {"s": "it's: here # not a comment"}),
    ("s: ''", {"s": ""}),
    ("s: a:b#c", {"s": "a:b#c"}),
    ("s: 《条例》（2020年修订）：第一条", {"s": "《条例》（2020年修订）：第一条"}),
    ("s: O'Neil", {"s": "O'Neil"}),
    ("a: []\nb: {}", {"a": [], "b": {}}),
    ("l:\n- GB/T 1-2020\n- '2024'\n- 7", {"l": ["GB/T 1-2020", "2024", 7]}),
    (
        "o:\n  file: a.md\n  lines:\n  - 3\n  - 117\nnext: x",
        {"o": {"file": "a.md", "lines": [3, 117]}, "next": "x"},
    ),
    ("o:\n    deep:\n      deeper: 1\n    back: 2\nz: 3", {"o": {"deep": {"deeper": 1}, "back": 2}, "z": 3}),
    ("l:\n  - a\n  - b\nm: c", {"l": ["a", "b"], "m": "c"}),
    ("b: 1\na: 2", {"b": 1, "a": 2}),  # key order kept
    ("", {}),
    ("a: 1\n\n", {"a": 1}),  # blank lines at the end only
]


@pytest.mark.parametrize("raw,expected", READ)
def test_fast_reader_reads_kb_shapes_as_yaml_does(raw, expected):
    assert by_yaml(raw) == expected  # the table itself is right
    assert same_as_yaml(raw)


# Shapes it leaves to yaml (values not certainly safe, or structure it does not read).
GIVEN_UP = [
    "d: 2024-01-05",  # a datetime.date
    "t: 2024-01-05 10:00:00",
    "n: 0012",  # octal in YAML 1.1
    "n: 012",
    "n: 1_000",
    "n: 0x1f",
    "n: 1:20",  # sexagesimal
    "n: +5",
    "n: -5",
    "f: 1.5",
    "f: .inf",
    's: "double quoted \\u00e9"',
    "s: |\n  line one\n  line two",
    "s: >\n  folded\n  text",
    "s: first line\n  continued plainly",
    "s: 'quoted\n  over two lines'",
    "s: value # comment",
    "# a comment\ns: v",
    "a: 1\n\nb: 2",  # a blank line inside
    "s:  two spaces",
    "s: trailing ",
    "s: a: b",
    "s: ends:",
    "s: [a, b]",
    "s: {a: 1}",
    "s: &anchor v\nt: *anchor",
    "s: !!str 5",
    "yes: key that is a bool",
    "null: key that is null",
    "'quoted key': v",
    "a: 1\na: 2",  # duplicate key
    "l:\n- a: 1\n  b: 2",  # list of mappings (patents, plans)
    "l:\n- - nested",
    "l:\n-",
    "s:\ta tab",
    "s: a\r\nt: b",
    "s: bell\x07",
    "s: line\u2028separator",
    "- a list at the top",
    "just text",
    "%YAML 1.1",
    "<<: {a: 1}",
    "a:\n  b: 1\n c: 2",  # an indent between levels
]


@pytest.mark.parametrize("raw", GIVEN_UP)
def test_fast_reader_gives_up_on_anything_else(raw):
    assert fast_yaml(raw) is None


def test_parse_frontmatter_falls_back_to_yaml_with_the_same_values():
    meta, body = parse_frontmatter("---\nd: 2024-01-05\nn: 0012\ntitle: t\n---\n\nbody\n")
    assert meta == {"d": datetime.date(2024, 1, 5), "n": 10, "title": "t"}
    assert body == "body\n"


def test_broken_yaml_still_names_the_line():
    from kb.errors import ContentError

    with pytest.raises(ContentError) as caught:
        parse_frontmatter("---\ntitle: t\nlist: [a, b\n---\nbody", "x.md")
    assert caught.value.line is not None


def test_every_shipped_and_fixture_file_reads_the_same():
    paths = sorted(CONTENT.rglob("*.md")) + sorted((ROOT / "tests").rglob("*.md"))
    checked = [path for path, raw in front_matters(paths) if fast_yaml(raw) is None or same_as_yaml(raw)]
    assert len(checked) >= 70
    fast = [path for path, raw in front_matters(paths) if fast_yaml(raw) is not None]
    assert len(fast) >= 40  # most shipped articles (patent and plan lists go to yaml)


def test_what_kb_writes_reads_back_fast():
    article = Article(
        id="doc-1",
        title="关于“稀土”: 'quoted' #1 yes",
        type="policy",
        body="正文\n",
        date="2024-01-05",
        issue={"publication": None, "year": 2024, "number": 1, "total": 12, "slug": "2024-01"},
        standards=["GB/T 1-2020", "2024", "0012", "yes", "1.5"],
        doc_numbers=["国发〔2024〕1号"],
        origin={"file": "a: b.md", "lines": [3, 117]},
        section="no",
        source="null",
    )
    raw, _, _ = split_frontmatter(render(article))
    assert same_as_yaml(raw)


@needs_laws
def test_law_corpus_front_matter_reads_the_same():
    """Every law as kb writes its front matter (titles, issuers and dates of the real corpus)."""
    from kb.laws import read_corpus

    laws = read_corpus(LAWS_ARCHIVE)
    fast = 0
    for law in laws:
        meta = {
            "id": law.member.rsplit("/", 1)[-1][:40],
            "title": law.title,
            "type": "policy",
            "section": law.folder,
            "date": law.name_date,
            "origin": {"file": law.member, "lines": [1, law.text.count("\n") + 1]},
        }
        raw, _, _ = split_frontmatter(dump_frontmatter(meta, "body"))
        fast += same_as_yaml(raw)
        if law.text.startswith("---"):
            own, _, _ = split_frontmatter(law.text)
            if own is not None and fast_yaml(own) is not None:
                assert same_as_yaml(own)
    assert fast == len(laws)


def test_read_article_is_unchanged_by_the_fast_reader(monkeypatch):
    import kb.frontmatter

    paths = sorted(CONTENT.rglob("*.md"))
    fast = [read_article(path) for path in paths]
    monkeypatch.setattr(kb.frontmatter, "fast_yaml", lambda raw: None)
    assert [read_article(path) for path in paths] == fast
