"""Benchmark: import, indexing and query speed, side by side with reference engines in one run.

    python -m bench --quick          # content/ only, under a minute
    python -m bench                  # + laws as 3,500 documents, + laws split at each 第…条
    python -m bench --sizes laws     # pick corpora: content, laws, articles

Prints a Markdown table and writes bench/results/<timestamp>.json.  Every figure is a median over
repeats with its spread (min–max); references (SQLite FTS5 on the same jieba tokens, tantivy when
installed, Whoosh with jieba's stock ChineseAnalyzer) are measured in the same run.
"""

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAWS = ROOT.parent / "shared" / "corpora" / "laws.tar.xz"
QUERIES = [
    "稀土",
    "国家",
    "管理",
    "钕铁硼",
    "冶炼分离",
    "总量控制指标",
    "知识产权",
    "环境保护",
    "价格",
    "专利",
    "稀土 出口",
    "国家 管理",
    "安全 生产",
    "钕铁硼 永磁",
    "氧化镨钕 均价",
    "深海稀土 标准",
    "海关 稀土出口",
    "矿产资源 开采 许可",
    "人民法院 审理 案件",
    "合同 违约 责任",
    "税收 减免 企业",
    "环境 影响 评价",
    "劳动 合同 解除",
    "土地 征收 补偿",
    "食品 安全 标准",
    '"稀土永磁"',
    '"总量控制"',
    '"人民法院"',
    '"行政处罚"',
    '"知识产权"',
    "NdFeB",
    "Dy",
    "镨钕 OR 钕铁硼",
    "稀土 -价格",
    "钐钴",
    "铽",
    "矫顽力",
    "晶界扩散",
    "离子型稀土",
    "绿色矿山",
    "GB/T 4137-2015",
    "gbt4137",
    "GB/T 12690.12",
    "20220753-T-469",
    "W20222365",
    "CN117446850A",
    "cn115595458",
    "工信部联原〔2022〕90号",
    "XB/T 403-2023",
    "4137-2015",
    "type:policy 稀土",
    "year:2024 稀土",
]


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - started, value


def summary(samples, scale=1.0):
    samples = sorted(s * scale for s in samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(samples[0], 3),
        "max": round(samples[-1], 3),
        "p95": round(p95, 3),
        "n": len(samples),
    }


def folder_size(path):
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


# ------------------------------------------------------------------ corpora


def unpack_laws(work):
    target = work / "laws-raw"
    if not target.exists():
        with tarfile.open(LAWS) as tar:
            tar.extractall(target, filter="data")
    return sorted(p for p in target.rglob("*.md") if p.name != "_index.md")


def import_laws(paths, content_dir):
    """Import each law as a standalone document through kb.service; returns (seconds read, MB)."""
    from kb.config import Config
    from kb.service import ImportService

    run = ImportService(Config(content_dir=Path(content_dir))).import_files(
        paths, kind="document", force=True
    )
    if run.failures:
        raise SystemExit(f"import failed: {run.failures[0]}")
    return run.seconds["read"], sum(path.stat().st_size for path in paths) / 1e6


ARTICLE = re.compile(r"^(?:\*\*)?第[一二三四五六七八九十百千零〇\d]+条", re.M)


def split_laws(content_dir, target_dir):
    """Every law split at 第…条 into passages, written as articles."""
    from kb.content import iter_articles, write_files
    from kb.frontmatter import dump_frontmatter

    writes = []
    for article in iter_articles(content_dir):
        starts = [m.start() for m in ARTICLE.finditer(article.body)] + [len(article.body)]
        for i, (start, end) in enumerate(zip(starts, starts[1:], strict=False), start=1):
            body = article.body[start:end]
            head = ARTICLE.match(body).group(0).strip("*")
            meta = article.front_matter()
            meta.update(id=f"{article.id}-{i}", title=f"{article.title} {head}")
            writes.append((Path(target_dir) / "articles" / f"{meta['id']}.md", dump_frontmatter(meta, body)))
    write_files(writes)
    return len(writes)


# ------------------------------------------------------------------ kb figures


def kb_build(config):
    """Full build in a child process so its peak memory is its own."""
    code = (
        "import sys, json, resource, bench.__main__ as b; from kb.config import Config;"
        "from kb.indexer import rebuild;"
        "c = Config(content_dir=sys.argv[1], index_dir=sys.argv[2]); s = rebuild(c);"
        "print(json.dumps({'documents': s['documents'], 'seconds': s['seconds'],"
        "'processes': s['processes'],"
        "'peak_mb': b.peak_mb(),"
        "'worker_peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
    )
    return child(code, config.content_dir, config.index_dir)


def kb_queries(config, rounds):
    """The query figures, measured in a child process so that its memory is a search process's own."""
    code = "import sys, json, bench.__main__ as b; print(json.dumps(b.query_figures(*sys.argv[1:4])))"
    return child(code, config.content_dir, config.index_dir, rounds)


def child(code, *args):
    """Run `code` in a fresh Python with this checkout first on the path; its last line as JSON."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def resident_mb(key="VmRSS"):
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in MB (Linux), or None.

    The peak is read here, not from getrusage: a child's ru_maxrss keeps its parent's peak across
    fork and exec, so a search process started by a large bench would report the bench's memory."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith(key + ":"))
    except (OSError, StopIteration):
        return None


def peak_mb():
    peak = resident_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def query_figures(content_dir, index_dir, rounds):
    """Cold: open + first query.  First run: each query once, columns read (warm()) but its terms
    not yet scored.  Warm: every round, so repeated queries use the per-generation term cache.
    Memory: resident after opening and warming, and the process's peak after every query."""
    from kb.config import Config
    from kb.search import Searcher, SearchRequest

    config, rounds = Config(content_dir=content_dir, index_dir=index_dir), int(rounds)
    cold_started = time.perf_counter()
    searcher = Searcher.open(config)
    searcher.search(SearchRequest(q=QUERIES[0]))
    cold = time.perf_counter() - cold_started
    del searcher  # the measured process holds one searcher, as a server does
    searcher = Searcher.open(config)
    searcher.warm()
    opened_mb = resident_mb()
    first, warm, relaxed = [], [], []
    for round_no in range(rounds):
        for q in QUERIES:
            seconds, page = timed(searcher.search, SearchRequest(q=q, limit=10))
            warm.append(seconds)
            if getattr(page, "relaxed", False):
                relaxed.append(seconds)
            if round_no == 0:
                first.append(seconds)
    strict = [s for s in warm if s not in set(relaxed)]
    return {
        "cold_first_query_ms": round(cold * 1000, 1),
        "first_run_ms": summary(first, 1000),
        "warm_ms": summary(warm, 1000),
        "warm_strict_ms": summary(strict, 1000),
        "warm_relaxed_ms": summary(relaxed, 1000) if relaxed else None,
        "search_open_mb": round(opened_mb) if opened_mb else None,
        "search_peak_mb": round(peak_mb()),
    }


def kb_update(config, source_content, count=60, rounds=3):
    """`rounds` times: add `count` new articles, time `kb index update` until a running searcher finds
    them and until the command ends, then take them out again."""
    runs = [_update_once(config, source_content, count) for _ in range(rounds)]
    found = [r["seconds"] for r in runs if r["seconds"] is not None]
    return {
        "articles": count,
        "seconds": summary(found)["median"] if found else None,
        "searchable_s": summary(found) if found else None,
        "command_s": summary([r["command_s"] for r in runs]),
        "searchable": all(r["searchable"] for r in runs),
        "output": runs[-1]["output"],
    }


def _update_once(config, source_content, count):
    from kb.content import iter_articles, render
    from kb.indexer import update
    from kb.search import Searcher, SearchRequest

    new_dir = Path(config.content_dir) / "bench-new-issue"
    new_dir.mkdir(parents=True, exist_ok=True)
    for i, article in enumerate(list(iter_articles(source_content))[:count]):
        article.id = f"bench-new-{i}"
        article.issue = {**article.issue, "slug": "bench-new-issue"}
        article.body += "\n\n基准测试新增标记词氪氙。\n"
        (new_dir / f"{article.id}.md").write_text(render(article), encoding="utf-8")
    live = Searcher.open(config)  # as a running server holds it
    live.warm()
    env = {**os.environ, "KB_CONTENT": str(config.content_dir), "KB_INDEX": str(config.index_dir)}
    seen = []

    def watch():  # search as a user would, every 20 ms, until the new articles are found
        deadline = None
        while True:
            if live.search(SearchRequest(q="氪氙")).total >= count:
                seen.append(time.perf_counter())
                return
            if command.poll() is not None:
                deadline = deadline or time.perf_counter() + 5
                if time.perf_counter() > deadline:
                    return
            time.sleep(0.02)

    started = time.perf_counter()
    command = subprocess.Popen(
        [sys.executable, "-m", "kb", "index", "update"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watcher = threading.Thread(target=watch)
    watcher.start()
    out, err = command.communicate()
    finished = time.perf_counter()
    if command.returncode:
        raise RuntimeError(f"kb index update failed: {err.decode()[-500:]}")
    watcher.join(30)
    shutil.rmtree(new_dir)
    update(config)
    return {
        "seconds": round(seen[0] - started, 3) if seen else None,
        "command_s": round(finished - started, 3),
        "searchable": bool(seen),
        "output": out.decode().strip(),
    }


def kb_serve_first_answer(config):
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "KB_CONTENT": str(config.content_dir), "KB_INDEX": str(config.index_dir)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 120:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/search?q=%E7%A8%80%E5%9C%9F", timeout=5
                ) as response:
                    if response.status == 200:
                        return round(time.perf_counter() - started, 2)
            except OSError:
                time.sleep(0.05)
        return None
    finally:
        proc.terminate()
        proc.wait(10)


# ------------------------------------------------------------------ references


def documents_tokens(content_dir):
    from kb.analysis import fold, words
    from kb.content import iter_articles

    docs = []
    started = time.perf_counter()
    for article in iter_articles(content_dir):
        text = fold(article.title + "\n" + article.body)
        docs.append((article.id, article.title, " ".join(w for w, _ in words(text))))
    return docs, time.perf_counter() - started


def reference_terms(rounds):
    """The query set as jieba terms, for engines fed the same tokens; each query `rounds` times."""
    from kb.analysis import query_words

    for _ in range(rounds):
        for q in QUERIES:
            terms = [t for t in query_words(re.sub(r'["\-:]', " ", q)) if t != "or"]
            if terms:
                yield terms


def sqlite_reference(docs, work, rounds):
    path = work / "fts.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    build, _ = timed(
        lambda: (
            db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, title, body)"),
            db.executemany("INSERT INTO d VALUES (?,?,?)", docs),
            db.commit(),
        )
    )
    samples = []
    for terms in reference_terms(rounds):
        match = " AND ".join('"' + t.replace('"', "") + '"' for t in terms)
        seconds, _ = timed(
            lambda match=match: db.execute(
                "SELECT id, snippet(d, 2, '<mark>', '</mark>', '…', 20) FROM d WHERE d MATCH ? "
                "ORDER BY rank LIMIT 10",
                (match,),
            ).fetchall()
        )
        samples.append(seconds)
    db.close()
    return {
        "build_s": round(build, 2),
        "size_mb": round(path.stat().st_size / 1e6, 1),
        "warm_ms": summary(samples, 1000),
    }


def tantivy_reference(docs, work, rounds):
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    builder.add_text_field("body", stored=True, tokenizer_name="whitespace")
    schema = builder.build()
    folder = work / "tantivy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    index = tantivy.Index(schema, path=str(folder))

    def build():
        writer = index.writer()
        for doc_id, _, body in docs:
            writer.add_document(tantivy.Document(id=doc_id, body=body))
        writer.commit()

    build_s, _ = timed(build)
    index.reload()
    searcher = index.searcher()
    samples = []
    for terms in reference_terms(rounds):
        query = index.parse_query(" AND ".join(f'"{t}"' for t in terms), ["body"])
        seconds, _ = timed(lambda: searcher.search(query, 10).hits)  # noqa: B023 (called at once)
        samples.append(seconds)
    return {
        "build_s": round(build_s, 2),
        "size_mb": round(folder_size(folder) / 1e6, 1),
        "warm_ms": summary(samples, 1000),
    }


def stock_whoosh_reference(content_dir, work, rounds):
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.highlight import HtmlFormatter
    from whoosh.qparser import QueryParser

    from kb.content import iter_articles

    folder = work / "stock"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ChineseAnalyzer(), stored=True))
    ix = whoosh_index.create_in(str(folder), schema)

    def build():
        writer = ix.writer(limitmb=256)
        for article in iter_articles(content_dir):
            writer.add_document(id=article.id, body=article.title + "\n" + article.body)
        writer.commit()

    build_s, _ = timed(build)
    parser = QueryParser("body", schema)
    samples = []
    with ix.searcher() as searcher:
        for _ in range(rounds):
            for q in QUERIES:

                def run():
                    results = searcher.search(parser.parse(q), limit=10)  # noqa: B023 (called at once)
                    results.formatter = HtmlFormatter()
                    return [hit.highlights("body") for hit in results]

                seconds, _ = timed(run)
                samples.append(seconds)
    return {
        "build_s": round(build_s, 2),
        "size_mb": round(folder_size(folder) / 1e6, 1),
        "warm_ms": summary(samples, 1000),
    }


# ------------------------------------------------------------------ driver


def measure(name, content_dir, work, rounds, extras):
    from kb.config import Config

    config = Config(content_dir=content_dir, index_dir=work / f"index-{name}")
    shutil.rmtree(config.index_dir, ignore_errors=True)
    mb = sum(p.stat().st_size for p in Path(content_dir).rglob("*.md")) / 1e6
    builds = [kb_build(config) for _ in range(extras.get("builds", 1))]
    build_s = summary([b["seconds"] for b in builds])
    row = {
        "corpus": name,
        "documents": builds[0]["documents"],
        "content_mb": round(mb, 1),
        "build_s": build_s["median"],
        "build_spread_s": [build_s["min"], build_s["max"]],
        "build_runs": len(builds),
        "build_processes": builds[0]["processes"],
        "build_mb_s": round(mb / build_s["median"], 2),
        "index_mb": round(folder_size(config.index_dir) / 1e6, 1),
        "build_peak_mb": round(max(b["peak_mb"] for b in builds)),
        "build_worker_peak_mb": round(max(b["worker_peak_mb"] for b in builds)),
        **kb_queries(config, rounds),
    }
    docs, seg_s = documents_tokens(content_dir)
    row["jieba_mb_s"] = round(mb / seg_s, 2)
    row["sqlite_fts5"] = sqlite_reference(docs, work, rounds)
    row["tantivy"] = tantivy_reference(docs, work, rounds)
    if extras.get("stock"):
        row["whoosh_stock"] = stock_whoosh_reference(content_dir, work, rounds)
    if extras.get("update"):
        row["update_60"] = kb_update(config, ROOT / "content")
    if extras.get("serve"):
        row["serve_first_answer_s"] = kb_serve_first_answer(config)
    return row


def ratio(a, b):
    return f"{a / b:.2g}×" if a and b else "—"


def table(rows):
    out = [
        "| corpus | docs | MB | kb build s | kb p50 / p95 ms | kb first-run p95 ms | FTS5 p50 / p95 ms | "
        "tantivy p95 ms | stock Whoosh p95 ms | kb p95 ÷ FTS5 | kb p95 ÷ tantivy | kb p95 ÷ stock | "
        "cold 1st query ms | update 60 s | serve s |",
        "|---" * 15 + "|",
    ]
    for r in rows:
        fts, tan, stock = r["sqlite_fts5"], r.get("tantivy"), r.get("whoosh_stock")
        out.append(
            "| "
            + " | ".join(
                str(x)
                for x in [
                    r["corpus"],
                    r["documents"],
                    r["content_mb"],
                    r["build_s"],
                    f"{r['warm_ms']['median']} / {r['warm_ms']['p95']}",
                    r["first_run_ms"]["p95"],
                    f"{fts['warm_ms']['median']} / {fts['warm_ms']['p95']}",
                    tan["warm_ms"]["p95"] if tan else "—",
                    stock["warm_ms"]["p95"] if stock else "—",
                    ratio(r["warm_ms"]["p95"], fts["warm_ms"]["p95"]),
                    ratio(r["warm_ms"]["p95"], tan["warm_ms"]["p95"]) if tan else "—",
                    ratio(r["warm_ms"]["p95"], stock["warm_ms"]["p95"]) if stock else "—",
                    r["cold_first_query_ms"],
                    (r.get("update_60") or {}).get("seconds", "—"),
                    r.get("serve_first_answer_s", "—"),
                ]
            )
            + " |"
        )
    return "\n".join(out)


GOALS = {  # issue 16: what each corpus's figures should reach
    "build_s": ("articles",),
    "update_s": ("laws", "articles"),
    "peak_mb": ("articles",),
}
BUILD_GOAL_S, UPDATE_GOAL_S, SERVE_GOAL_S, PEAK_GOAL_MB = 60.0, 1.0, 1.0, 300.0


def goals(rows):
    """Each goal of issue 16 per corpus: kb's figure, the reference, their ratio, met or not."""
    out = []

    def goal(name, corpus, kb, reference, unit):
        if kb is None or reference is None:
            return
        out.append(
            {
                "goal": name,
                "corpus": corpus,
                "kb": kb,
                "reference": reference,
                "unit": unit,
                "ratio": round(kb / reference, 2) if reference else None,
                "met": kb <= reference,
            }
        )

    for r in rows:
        name, fts = r["corpus"], r["sqlite_fts5"]
        goal("query p95 ≤ FTS5 p95", name, r["warm_ms"]["p95"], fts["warm_ms"]["p95"], "ms")
        goal("first-pass p95 ≤ FTS5 p95", name, r["first_run_ms"]["p95"], fts["warm_ms"]["p95"], "ms")
        goal("index size ≤ FTS5", name, r["index_mb"], fts["size_mb"], "MB")
        goal("serve first answer ≤ 1 s", name, r.get("serve_first_answer_s"), SERVE_GOAL_S, "s")
        if name in GOALS["build_s"]:
            goal("build ≤ 60 s", name, r["build_s"], BUILD_GOAL_S, "s")
        if name in GOALS["update_s"]:
            goal(
                "60 new articles searchable ≤ 1 s",
                name,
                (r.get("update_60") or {}).get("seconds"),
                UPDATE_GOAL_S,
                "s",
            )
        if name in GOALS["peak_mb"]:
            goal("search process peak ≤ 300 MB", name, r.get("search_peak_mb"), PEAK_GOAL_MB, "MB")
    return out


def goals_table(rows):
    out = ["| goal | corpus | kb | reference | kb ÷ reference | met |", "|---" * 6 + "|"]
    for g in rows:
        out.append(
            f"| {g['goal']} | {g['corpus']} | {g['kb']} {g['unit']} | {g['reference']} {g['unit']} | "
            f"{g['ratio']}× | {'met' if g['met'] else 'not met'} |"
        )
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description="kb benchmark")
    parser.add_argument("--quick", action="store_true", help="content/ only, under a minute")
    parser.add_argument("--sizes", default=None, help="comma list of content,laws,articles")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-rounds", type=int, default=2, help="full builds per large corpus")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    sizes = ["content"] if args.quick else (args.sizes or "content,laws,articles").split(",")
    work = Path(args.work or tempfile.mkdtemp(prefix="kb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows, notes = [], {}
    if "content" in sizes:
        rows.append(
            measure(
                "content", ROOT / "content", work, args.rounds, {"stock": True, "serve": True, "builds": 3}
            )
        )
    if "laws" in sizes or "articles" in sizes:
        laws_content = work / "content-laws"
        if not laws_content.exists():
            shutil.copytree(ROOT / "content", laws_content)
            seconds, mb = import_laws(unpack_laws(work), laws_content)
            notes["import"] = {
                "mb": round(mb, 1),
                "seconds": round(seconds, 1),
                "mb_s": round(mb / seconds, 2),
            }
        if "laws" in sizes:
            rows.append(
                measure(
                    "laws",
                    laws_content,
                    work,
                    args.rounds,
                    {"stock": True, "update": True, "serve": True, "builds": args.build_rounds},
                )
            )
        if "articles" in sizes:
            articles_content = work / "content-articles"
            if not articles_content.exists():
                notes["passages"] = split_laws(laws_content, articles_content)
            rows.append(
                measure(
                    "articles",
                    articles_content,
                    work,
                    args.rounds,
                    {"update": True, "serve": True, "builds": args.build_rounds},
                )
            )
    print(table(rows))
    for r in rows:  # the answers widened by the relaxed pass, apart (kb/relax.py)
        rel = r.get("warm_relaxed_ms")
        print(
            f"{r['corpus']}: strict p95 {r['warm_strict_ms']['p95']} ms"
            + (f", relaxed p95 {rel['p95']} ms over {rel['n']} answers" if rel else ", no relaxed answer")
        )
    goal_rows = goals(rows)
    print("\n" + goals_table(goal_rows))
    print(
        ", ".join(
            f"{r['corpus']}: search process {r.get('search_open_mb')} MB after opening, "
            f"{r.get('search_peak_mb')} MB peak"
            for r in rows
        )
    )
    if notes:
        print("\n" + json.dumps(notes, ensure_ascii=False))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "goals": goal_rows,
                "notes": notes,
                "queries": QUERIES,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
