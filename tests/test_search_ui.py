"""What the page, the JSON API and the CLI say about relaxed answers, suggestions, number fallbacks
and filter values."""

import json

from click.testing import CliRunner

from kb.cli import cli


def run(config, *args):
    return CliRunner().invoke(
        cli, ["--content", str(config.content_dir), "--index", str(config.index_dir), *args]
    )


def test_page_says_a_relaxed_answer_and_the_dropped_words(client):
    html = client.get("/search?q=江西 绿色矿山 足球 建成").get_data(as_text=True)
    assert "没有同时包含所有词的结果，以下为部分匹配" in html and "<del>足球</del>" in html


def test_page_offers_did_you_mean(client):
    html = client.get("/search?q=钕铁朋 热变形").get_data(as_text=True)
    assert "您是不是要找" in html and "钕铁硼 热变形" in html


def test_page_says_which_number_answered(client):
    html = client.get("/search?q=GB4137").get_data(as_text=True)
    assert "按 GB/T 4137-2015 查找" in html
    html = client.get("/search?q=XB/T 617").get_data(as_text=True)
    assert "列出其下的编号" in html and "XB/T 617.8-2023" in html


def test_json_carries_relaxed_flag(client):
    strict = client.get("/api/search?q=钕铁硼").get_json()
    relaxed = client.get("/api/search?q=江西 绿色矿山 足球 建成").get_json()
    assert strict["relaxed"] is False and relaxed["relaxed"] is True and relaxed["dropped"] == ["足球"]


def test_chinese_type_label_filters(client):
    data = client.get("/api/search?q=稀土&type=专利").get_json()
    assert data["total"] == 2 and {h["type"] for h in data["hits"]} == {"patent"}
    data = client.get("/api/search?q=type:政策 知识产权").get_json()
    assert data["hits"] and {h["type"] for h in data["hits"]} == {"policy"}


def test_unknown_filter_values_are_a_400_listing_known_ones(client):
    response = client.get("/api/search?q=稀土 type:nonsense")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "type" and "policy" in error["message"] and "政策" in error["message"]
    page = client.get("/search?q=稀土&section=不存在")
    assert page.status_code == 400 and "行业动态" in page.get_data(as_text=True)


def test_cli_unknown_type_exits_2_with_the_known_ones(built):
    result = run(built, "search", "稀土", "--type", "nonsense")
    assert result.exit_code == 2 and "policy" in result.output


def test_cli_chinese_type_and_notes(built):
    result = run(built, "search", "稀土", "--type", "专利", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 2
    result = run(built, "search", "钕铁朋 热变形")
    assert "您是不是要找：钕铁硼 热变形" in result.output and "部分匹配" in result.output
    result = run(built, "search", "GB4137")
    assert "按 GB/T 4137-2015 查找" in result.output


def test_cli_lookup_fallback_and_prefix(built):
    assert "按 GB/T 4137-2015 查找" in run(built, "lookup", "GB4137").output
    assert "XB/T 617.8-2023" in run(built, "lookup", "XB/T 617").output


def test_lookup_page_says_how_the_number_was_found(client):
    html = client.get("/lookup/GB4137").get_data(as_text=True)
    assert "按 GB/T 4137-2015 查找" in html
    html = client.get("/lookup/XB 617").get_data(as_text=True)
    assert "XB/T 617.8-2023" in html
