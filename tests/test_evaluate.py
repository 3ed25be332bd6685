"""Relevance on the shipped content: the dev queries rank as before, the broad set stays high."""

from pathlib import Path

import pytest

from bench.evaluate import BROAD, baseline, evaluate, load_queries

DEV = Path(__file__).resolve().parent / "data" / "dev-queries-content.yaml"


def test_dev_queries_rank_first(searcher):
    result = evaluate(searcher, load_queries(DEV))
    assert result["mrr@10"] == 1.0, [r for r in result["rows"] if r["first_rank"] != 1]


def test_broad_queries(searcher):
    result = evaluate(searcher, load_queries(BROAD))
    misses = [r for r in result["rows"] if r["wanted"] and r["first_rank"] != 1]
    assert result["mrr@10"] >= 0.95, misses
    assert result["no_answer_ok"].split("/")[0] == result["no_answer_ok"].split("/")[1]


def test_bigram_baseline_runs_and_kb_beats_it(built, searcher):
    queries = load_queries(BROAD)
    plain = baseline(built.content_dir, queries)
    assert 0 < plain["mrr@10"] < evaluate(searcher, queries)["mrr@10"]


def test_bad_query_file_is_named(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("- {q: x}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="q.yaml: query 1"):
        load_queries(path)
