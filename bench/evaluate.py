"""Relevance evaluation: run ../shared/eval/dev-queries.yaml, print MRR@10, hit@1 and recall@10.

    python -m bench.evaluate [--queries PATH] [--content DIR] [--index DIR] [--json]
"""

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

from kb.config import load_config
from kb.search import SearchRequest, Searcher

DEFAULT_QUERIES = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev-queries.yaml"


def squeeze(text):
    return re.sub(r"\s+", "", text or "")


def evaluate(searcher, queries, k=10):
    rows = []
    for item in queries:
        page = searcher.search(SearchRequest(q=item["q"], limit=k))
        wanted = {squeeze(r["title"]) for r in item["relevant"]}
        ranks = [i for i, hit in enumerate(page.hits, start=1) if squeeze(hit.title) in wanted]
        found = {squeeze(h.title) for h in page.hits} & wanted
        rows.append({"q": item["q"], "kind": item.get("kind"), "first_rank": ranks[0] if ranks else None,
                     "recall": len(found) / len(wanted), "top": [h.title for h in page.hits[:3]]})
    n = len(rows) or 1
    return {
        "queries": len(rows),
        "mrr@10": round(sum(1 / r["first_rank"] for r in rows if r["first_rank"]) / n, 4),
        "hit@1": round(sum(1 for r in rows if r["first_rank"] == 1) / n, 4),
        "recall@10": round(sum(r["recall"] for r in rows) / n, 4),
        "rows": rows,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--content")
    parser.add_argument("--index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    config = load_config(content_dir=args.content, index_dir=args.index)
    queries = yaml.safe_load(Path(args.queries).read_text(encoding="utf-8"))
    result = evaluate(Searcher.open(config, build_if_missing=True), queries)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    for row in result["rows"]:
        mark = "ok " if row["first_rank"] == 1 else ("top" if row["first_rank"] else "MISS")
        print(f"{mark:4} rank={row['first_rank']} recall={row['recall']:.2f}  {row['q']}"
              + ("" if row["first_rank"] == 1 else f"   top: {row['top']}"))
    print(f"queries={result['queries']} MRR@10={result['mrr@10']} hit@1={result['hit@1']} "
          f"recall@10={result['recall@10']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
