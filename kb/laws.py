"""Ship the national laws and administrative regulations that govern the rare-earth sector.

    python3 -m kb.laws [ARCHIVE] [--content DIR] [--dry-run]

reads the law corpus (default `../shared/corpora/laws.tar.xz`, Markdown files in folders named after
their legal rank) without unpacking it, selects by the rule below, and imports each selected text
as a standalone document into `content/documents/` (importer `import_document`, the same path as
`kb import --kind document`).

The rule:

| step       | keeps                                                                                 |
| ---------- | ------------------------------------------------------------------------------------- |
| level      | national laws (folders 宪法 … 诉讼与非诉讼程序法, see LAW_FOLDERS) and administrative      |
|            | regulations (行政法规); never local regulations (DLC), departmental rules, judicial    |
|            | interpretations or cases                                                              |
| subject    | the title names 稀土, 矿产资源, 探矿权 or 采矿权; or the text mentions 稀土; or the text  |
|            | says it is made under the 矿产资源法 (`根据《…矿产资源法》`, with or without 中华人民共和国) |

Front matter comes from each file's own header (importer/legal.py: issuer, published, effective)
and name (`矿产资源法(2024-11-08).md`: the version's date), the folder (the rank, and the issuer
when the header names none: 国务院 for 行政法规, 全国人民代表大会常务委员会 for laws), and the
corpus as a whole for validity (时效性): 已修改 when the corpus holds a later version with the same
title, 已废止 when another national text says the title 同时废止 / 予以废止, else 有效.
"""

import argparse
import re
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from kb.content import plan_writes, write_files
from kb.errors import KbError
from kb.frontmatter import dump_frontmatter
from kb.importer import import_text
from kb.importer.legal import HEADER_END, read_document_header

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "laws.tar.xz"
LAW_FOLDERS = (
    "宪法",
    "宪法相关法",
    "民法典",
    "民法商法",
    "行政法",
    "经济法",
    "社会法",
    "刑法",
    "诉讼与非诉讼程序法",
)
REGULATION_FOLDERS = ("行政法规",)
DEFAULT_ISSUER = {"行政法规": "国务院", **{name: "全国人民代表大会常务委员会" for name in LAW_FOLDERS}}
RANK = {"行政法规": "行政法规", **{name: "法律" for name in LAW_FOLDERS}}
TITLE_WORDS = re.compile(r"稀土|矿产资源|探矿权|采矿权")
TEXT_WORDS = re.compile(r"稀土")
MADE_UNDER = re.compile(r"根据《(?:中华人民共和国)?矿产资源法》")
NAME_DATE = re.compile(r"\((?P<date>\d{4}-\d{2}-\d{2})\)$")
ABOLISHED = re.compile(r"《(?P<title>[^》]{2,60})》(?:[^。；]{0,12})?(?:同时|予以|即行)废止")


@dataclass
class LawFile:
    member: str  # path inside the archive
    folder: str  # the rank folder: 经济法, 行政法规 …
    title: str
    text: str

    @property
    def name_date(self):
        match = NAME_DATE.search(Path(self.member).stem)
        return match.group("date") if match else None


def read_corpus(archive):
    """Every national law and administrative regulation in the archive, read in one pass."""
    laws = []
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = Path(member.name).parts
            if not member.isfile() or not member.name.endswith(".md") or len(parts) != 3:
                continue
            folder = parts[1]
            if folder not in LAW_FOLDERS + REGULATION_FOLDERS or parts[2].startswith("_"):
                continue
            text = tar.extractfile(member).read().decode("utf-8", errors="replace")
            first = next((line for line in text.split("\n") if line.strip()), "")
            laws.append(LawFile(member.name, folder, first.lstrip("#").strip(), text))
    return laws


def why_selected(law):
    """The part of the rule a text meets, or None."""
    if TITLE_WORDS.search(law.title):
        return f"标题含“{TITLE_WORDS.search(law.title).group(0)}”"
    if TEXT_WORDS.search(law.text):
        return "正文提到“稀土”"
    if MADE_UNDER.search(law.text):
        return "依据矿产资源法制定"
    return None


def _key(title):
    return re.sub(r"^中华人民共和国", "", re.sub(r"\s+", "", title))


def validity(law, corpus):
    """有效, 已修改 (a later version is in the corpus) or 已废止 (another text abolishes it)."""
    later = [
        other
        for other in corpus
        if _key(other.title) == _key(law.title) and (other.name_date or "") > (law.name_date or "")
    ]
    if later:
        return "已修改"
    key = _key(law.title)
    for other in corpus:
        if other is not law and any(_key(m.group("title")) == key for m in ABOLISHED.finditer(other.text)):
            return "已废止"
    return "有效"


def to_document(law, corpus):
    """The law as a standalone document text with front matter (`kb import --kind document` input)."""
    lines = law.text.split("\n")
    header = read_document_header([line for line in lines[1:]])
    published = (
        max(d for d in (header["published"], law.name_date) if d)
        if (header["published"] or law.name_date)
        else None
    )
    issuer = header["issuer"] or DEFAULT_ISSUER[law.folder]
    meta = {
        "title": law.title,
        "type": "policy",
        "section": RANK[law.folder],
        "source": issuer,
        "date": published,
        "issuer": issuer,
        "published": published,
        "effective": header["effective"],
        "validity": validity(law, corpus),
    }
    body = "\n".join(line for line in lines[1:] if not HEADER_END.match(line.strip()))
    return dump_frontmatter({k: v for k, v in meta.items() if v}, body.strip() + "\n")


def select(corpus):
    return [(law, why_selected(law)) for law in corpus if why_selected(law)]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Import the sector's national laws and regulations into content/documents/."
    )
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--content", default="content", help="content folder (default ./content)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be written")
    args = parser.parse_args(argv)
    if not Path(args.archive).is_file():
        print(f"错误：找不到法规语料 {args.archive}", file=sys.stderr)
        return 1
    corpus = read_corpus(args.archive)
    chosen = select(corpus)
    articles = []
    for law, reason in chosen:
        result = import_text(to_document(law, corpus), Path(law.member).name, kind="document")
        article = result.articles[0]
        articles.append(article)
        print(
            f"{article.published or '—'}  {article.validity}  {article.issuer}  《{article.title}》"
            f"  （{reason}；{law.member}）"
        )
    report, writes = plan_writes(articles, Path(args.content))
    if not args.dry_run:
        try:
            write_files(writes)
        except KbError as exc:
            print(f"错误：{exc.describe()}", file=sys.stderr)
            return 1
    print(
        f"国家法律与行政法规 {len(corpus)} 部，选中 {len(chosen)} 部；"
        f"新增 {report.count('new')}，修改 {report.count('changed')}，未变 {report.count('unchanged')}，"
        f"人工编辑过保留 {report.count('edited')}" + ("（预览，未写入）" if args.dry_run else "") + "。"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
