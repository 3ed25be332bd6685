"""Score the importer on a PDF corpus made by bench.pdfcorpus: every converter's text and the PDF itself.

    PYTHONPATH=$PWD python3 -m bench.import_eval /tmp/kb-pdf-corpus [--json] [--readers pdf,pypdf]

Per issue × reader: gold articles, how many came back with their exact title (whitespace ignored),
how many were merged into another article (their title is inside another article's body) or lost,
extra articles that are pieces of a real article (split) or not (extra: furniture, contents lines),
numbers recovered in canonical form (and numbers found that are not in the gold set), and the share
of matched articles with the right section and type.  Speed: text MB/s and PDF pages/s of
`import_file` (median of --repeat runs).
"""

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

from kb.errors import KbError
from kb.importer import import_file

NUMBER_FIELDS = ("standards", "plan_numbers", "patents", "doc_numbers")


def norm(text):
    return re.sub(r"\s+", "", text or "")


def numbers_of(record):
    out = set()
    for name in NUMBER_FIELDS:
        for value in record.get(name) or []:
            out.add(value["number"] if isinstance(value, dict) else value)
    return {n for n in out if n}


def score(gold, articles):
    """Compare imported articles (front-matter dicts) with the gold articles of one issue."""
    by_title = {}
    for art in articles:
        by_title.setdefault(norm(art["title"]), art)
    gold_titles = {norm(g["title"]) for g in gold}
    found = [g for g in gold if norm(g["title"]) in by_title]
    missing = [g for g in gold if norm(g["title"]) not in by_title]
    bodies = [norm(a.get("body", "")) for a in articles]
    merged = [g for g in missing if any(norm(g["title"]) in body for body in bodies)]
    gold_bodies = [norm(g.get("body", "")) for g in gold]
    extras = [a for a in articles if norm(a["title"]) not in gold_titles]
    split = [
        a
        for a in extras
        if len(norm(a["title"])) >= 2 and any(norm(a["title"]) in body for body in gold_bodies)
    ]
    gold_numbers = set().union(*(numbers_of(g) for g in gold)) if gold else set()
    got_numbers = set().union(*(numbers_of(a) for a in articles)) if articles else set()
    pairs = [(g, by_title[norm(g["title"])]) for g in found]
    return {
        "gold": len(gold),
        "articles": len(articles),
        "found": len(found),
        "merged": len(merged),
        "lost": len(missing) - len(merged),
        "split": len(split),
        "extra": len(extras) - len(split),
        "numbers": len(gold_numbers & got_numbers),
        "gold_numbers": len(gold_numbers),
        "wrong_numbers": sorted(got_numbers - gold_numbers),
        "missed_numbers": sorted(gold_numbers - got_numbers),
        "section_ok": sum(g["section"] == a.get("section") for g, a in pairs),
        "type_ok": sum(g["type"] == a.get("type") for g, a in pairs),
        "missing_titles": [g["title"] for g in missing],
        "extra_titles": [a["title"] for a in extras],
    }


def run_import(path, repeat):
    """(articles as dicts, reader name, seconds) or raise KbError."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = import_file(path)
        times.append(time.perf_counter() - started)
    articles = []
    for article in result.articles:
        meta = article.front_matter()
        meta["body"] = article.body
        articles.append(meta)
    reader = getattr(result, "reader", None)
    return articles, reader, statistics.median(times)


def evaluate(corpus, readers=None, repeat=1):
    corpus = Path(corpus)
    manifest = {}
    if (corpus / "manifest.json").exists():
        manifest = json.loads((corpus / "manifest.json").read_text())
    rows = []
    for gold_path in sorted(corpus.glob("*.gold.json")):
        issue = gold_path.name[: -len(".gold.json")]
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        inputs = [(p.name[len(issue) + 1 : -len(".txt")], p) for p in sorted(corpus.glob(f"{issue}.*.txt"))]
        if (corpus / f"{issue}.pdf").exists():
            inputs.append(("pdf", corpus / f"{issue}.pdf"))
        for name, path in inputs:
            if readers and name not in readers:
                continue
            row = {"issue": issue, "input": name, "bytes": path.stat().st_size}
            try:
                articles, reader, seconds = run_import(path, repeat)
            except KbError as exc:
                row["error"] = str(exc)
                rows.append(row)
                continue
            row.update(score(gold, articles), reader=reader, seconds=seconds)
            if name == "pdf":
                pages = manifest.get(issue, {}).get("pages") or _pages(path)
                row["pages"] = pages
                row["pages_per_s"] = pages / seconds if seconds else None
            else:
                row["mb_per_s"] = row["bytes"] / 1e6 / seconds if seconds else None
            rows.append(row)
    return rows


def _pages(path):
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def _pct(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "—"


def table(rows):
    head = (
        "| issue | input | reader | gold | found | merged | lost | split | extra | numbers | wrong nums "
        "| section | type | speed |"
    )
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['issue']} | {r['input']} | — | error: {r['error'][:80]} |")
            continue
        speed = (
            f"{r['pages_per_s']:.1f} pages/s"
            if r.get("pages_per_s") is not None
            else f"{r.get('mb_per_s') or 0:.2f} MB/s"
        )
        cells = [
            r["issue"],
            r["input"],
            r.get("reader") or "—",
            r["gold"],
            r["found"],
            r["merged"],
            r["lost"],
            r["split"],
            r["extra"],
            f"{r['numbers']}/{r['gold_numbers']}",
            len(r["wrong_numbers"]),
            _pct(r["section_ok"], r["found"]),
            _pct(r["type_ok"], r["found"]),
            speed,
        ]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(out)


def totals(rows):
    """Per input kind, summed over issues."""
    out = {}
    for r in rows:
        t = out.setdefault(
            r["input"],
            dict.fromkeys(
                (
                    "issues",
                    "errors",
                    "gold",
                    "found",
                    "merged",
                    "lost",
                    "split",
                    "extra",
                    "numbers",
                    "gold_numbers",
                    "wrong_numbers",
                    "section_ok",
                    "type_ok",
                    "bytes",
                    "pages",
                    "seconds",
                ),
                0,
            ),
        )
        t["issues"] += 1
        if "error" in r:
            t["errors"] += 1
            continue
        t["bytes"] += r["bytes"]
        t["pages"] += r.get("pages", 0)
        t["seconds"] += r["seconds"]
        for key in t:
            if key in r and key not in ("issues", "errors", "bytes", "pages", "seconds"):
                t[key] += len(r[key]) if isinstance(r[key], list) else r[key]
    return out


def _speed(t):
    if not t["seconds"]:
        return "—"
    if t["pages"]:
        return f"{t['pages'] / t['seconds']:.1f} pages/s"
    return f"{t['bytes'] / 1e6 / t['seconds']:.2f} MB/s"


def totals_table(tot):
    head = (
        "| input | issues | errors | found | merged | lost | split | extra | numbers | wrong nums "
        "| section | type | speed |"
    )
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, t in tot.items():
        cells = [
            name,
            t["issues"],
            t["errors"],
            f"{t['found']}/{t['gold']} ({_pct(t['found'], t['gold'])})",
            t["merged"],
            t["lost"],
            t["split"],
            t["extra"],
            f"{t['numbers']}/{t['gold_numbers']}",
            t["wrong_numbers"],
            _pct(t["section_ok"], t["found"]),
            _pct(t["type_ok"], t["found"]),
            _speed(t),
        ]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default="/tmp/kb-pdf-corpus")
    parser.add_argument("--readers", help="comma-separated inputs to score (pdftotext, pdf, …)")
    parser.add_argument("--repeat", type=int, default=1, help="imports per input for the speed median")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missing and extra titles")
    args = parser.parse_args(argv)
    if not Path(args.corpus).is_dir():
        sys.exit(f"{args.corpus}: no such folder; make it with python3 -m bench.pdfcorpus")
    rows = evaluate(args.corpus, set(args.readers.split(",")) if args.readers else None, args.repeat)
    if args.json:
        print(json.dumps({"rows": rows, "totals": totals(rows)}, ensure_ascii=False, indent=1))
        return
    print(table(rows))
    print()
    print(totals_table(totals(rows)))
    if args.verbose:
        for r in rows:
            if "error" in r:
                continue
            print(f"\n## {r['issue']} {r['input']}")
            for title in r["missing_titles"]:
                print(f"  missing: {title}")
            for title in r["extra_titles"]:
                print(f"  extra:   {title}")
            for number in r["missed_numbers"]:
                print(f"  missed number: {number}")
            for number in r["wrong_numbers"]:
                print(f"  wrong number:  {number}")


if __name__ == "__main__":
    main()
