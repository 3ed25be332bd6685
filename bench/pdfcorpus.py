"""A PDF test corpus made from content/: each bulletin issue printed to an A4 PDF, then read by every
PDF-to-text converter at hand.

    PYTHONPATH=$PWD python3 -m bench.pdfcorpus --content content --out /tmp/kb-pdf-corpus

For each issue folder in content/ (standalone `documents` are left out) it writes
    <issue>.pdf                 rendered by kb/testing/pdfmaker.py (cover, 目次, running headers,
                                footers, ruled tables with narrow number columns)
    <issue>.<converter>.txt     the text of each converter: pdftotext, pdftotext-layout, pdfminer,
                                pypdf, and markdown (pdfplumber words: `#` for large type, pipe
                                tables with <br> in cells, as PDF-to-Markdown converters write)
    <issue>.gold.json           the articles the PDF was made from (id, title, section, type, numbers)
and READY when done.  `python3 -m bench.import_eval DIR` scores the importer on them.
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kb.content import iter_articles
from kb.testing.pdfmaker import PdfArticle, PdfIssue, render_issue

CONVERTERS = ("pdftotext", "pdftotext-layout", "pdfminer", "pypdf", "markdown")


def issue_articles(content_dir):
    """issue slug -> its articles in print order (by their line span in the source file)."""
    issues = {}
    for article in iter_articles(content_dir):
        slug = article.issue_slug
        if not slug or slug == "documents":
            continue
        issues.setdefault(slug, []).append(article)
    for articles in issues.values():
        articles.sort(key=lambda a: ((a.origin or {}).get("lines") or [0])[0])
    return dict(sorted(issues.items()))


def _variant(slug, salt):
    return int(hashlib.sha1(f"{slug}:{salt}".encode()).hexdigest(), 16)


def issue_for(slug, articles):
    """The PdfIssue to print; footer, header and inline source lines vary from issue to issue."""
    meta = articles[0].issue or {}
    has_sections = any(a.section for a in articles)
    inline = tuple(i for i in range(len(articles)) if _variant(slug, i) % 4 == 0)
    return PdfIssue(
        articles=[PdfArticle(a.title, a.body, a.section, a.source) for a in articles],
        publication=meta.get("publication") or "离子型稀土信息简报",
        year=meta.get("year"),
        number=meta.get("number"),
        total=meta.get("total"),
        footer="dash" if _variant(slug, "footer") % 2 else "page",
        header="centred" if _variant(slug, "header") % 3 == 0 else "split",
        source_inline=inline,
        cover=True,
        contents=bool(has_sections or len(articles) > 3),
    )


def gold(articles):
    return [
        {
            "id": a.id,
            "title": a.title,
            "section": a.section,
            "type": a.type,
            "standards": a.standards,
            "plan_numbers": a.plan_numbers,
            "patents": [p.get("number") for p in a.patents if p.get("number")],
            "doc_numbers": a.doc_numbers,
            "body": a.body,
        }
        for a in articles
    ]


def convert(pdf, name):
    """The text converter `name` makes of `pdf`, or None when the converter is not installed."""
    if name in ("pdftotext", "pdftotext-layout"):
        if not shutil.which("pdftotext"):
            return None
        args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if name.endswith("layout") else [])
        done = subprocess.run([*args, str(pdf), "-"], capture_output=True, check=True, timeout=300)
        return done.stdout.decode()
    if name == "pdfminer":
        try:
            from pdfminer.high_level import extract_text
        except ImportError:
            return None
        return extract_text(str(pdf))
    if name == "pypdf":
        try:
            from pypdf import PdfReader
        except ImportError:
            return None
        return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    if name == "markdown":
        try:
            import pdfplumber  # noqa: F401
        except ImportError:
            return None
        return markdown_text(pdf)
    raise ValueError(name)


def markdown_text(pdf):
    """A PDF-to-Markdown converter's output, imitated: big type as `#`, ruled tables as pipe tables."""
    import pdfplumber

    out = []
    with pdfplumber.open(str(pdf)) as doc:
        sizes = [round(c["size"], 1) for page in doc.pages[:10] for c in page.chars]
        body = max(set(sizes), key=sizes.count) if sizes else 10.0
        for page in doc.pages:
            tables = page.find_tables()
            boxes = [t.bbox for t in tables]
            items = []
            for table in tables:
                rows = table.extract()
                if not rows:
                    continue
                lines = []
                for r, row in enumerate(rows):
                    cells = [(c or "").replace("\n", "<br>").replace("|", "\\|") for c in row]
                    lines.append("| " + " | ".join(cells) + " |")
                    if r == 0:
                        lines.append("|" + "---|" * len(row))
                items.append((table.bbox[1], "\n".join(lines)))
            words = page.extract_words(keep_blank_chars=True, use_text_flow=False, extra_attrs=["size"])
            words = [w for w in words if not any(_within(w, box) for box in boxes)]
            lines = []
            for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
                if lines and abs(lines[-1][0] - word["top"]) < 3:
                    lines[-1][1].append(word)
                else:
                    lines.append((word["top"], [word]))
            for top, group in lines:
                text = "".join(w["text"] for w in group).strip()
                size = max(w["size"] for w in group)
                if size >= body * 1.3:
                    text = "# " + text
                elif size >= body * 1.08:
                    text = "## " + text
                items.append((top, text))
            out.append("\n\n".join(text for _, text in sorted(items, key=lambda x: x[0])))
    return "\n\n".join(out) + "\n"


def _within(word, box):
    return (
        box[0] <= word["x0"]
        and word["x1"] <= box[2] + 1
        and box[1] <= word["top"]
        and word["bottom"] <= box[3] + 1
    )


def page_count(pdf):
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", default="content")
    parser.add_argument("--out", default="/tmp/kb-pdf-corpus")
    parser.add_argument("--converters", default=",".join(CONVERTERS))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "READY").unlink(missing_ok=True)
    for pattern in ("*.pdf", "*.gold.json", "*.txt", "manifest.json"):  # an earlier run's issues
        for old in out.glob(pattern):
            old.unlink()
    issues = issue_articles(args.content)
    if not issues:
        sys.exit(f"no bulletin issues under {args.content}")
    manifest = {}
    for slug, articles in issues.items():
        pdf = out / f"{slug}.pdf"
        started = time.perf_counter()
        pages = render_issue(issue_for(slug, articles), pdf)
        (out / f"{slug}.gold.json").write_text(json.dumps(gold(articles), ensure_ascii=False, indent=1))
        entry = {
            "pages": pages,
            "articles": len(articles),
            "render_s": round(time.perf_counter() - started, 2),
            "converters": {},
        }
        for name in args.converters.split(","):
            started = time.perf_counter()
            try:
                text = convert(pdf, name)
            except (subprocess.SubprocessError, OSError) as exc:
                print(f"{slug}: {name} failed: {exc}", file=sys.stderr)
                continue
            if text is None:
                print(f"{slug}: {name} is not installed; skipped", file=sys.stderr)
                continue
            (out / f"{slug}.{name}.txt").write_text(text, encoding="utf-8")
            entry["converters"][name] = round(time.perf_counter() - started, 2)
        manifest[slug] = entry
        names = ", ".join(entry["converters"])
        print(f"{slug}: {pages} pages, {len(articles)} articles, converters: {names}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (out / "READY").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))


if __name__ == "__main__":
    main()
