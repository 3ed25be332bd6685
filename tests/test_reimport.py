"""Re-importing an issue: one article per gold article, stable ids, stale files named or removed,
hand edits kept; the Chinese review; refusal when the issue cannot be named."""

import json

import pytest
from click.testing import CliRunner
from conftest import DATA

from kb.cli import cli
from kb.importer.identity import title_key

ORIGINAL = DATA / "bulletin_running_header.txt"
VARIANT = DATA / "bulletin_running_header_variant.txt"  # other wrapping, spaces, full-width characters
GOLD = [
    "示例稀土价格月内小幅回升",
    "某研究所在NdFeB磁体晶界扩散研究中取得进展",
    "关于开展示例稀土企业专项检查的通知",
    "海外某稀土矿项目获得开采许可",
    "什么是离子吸附型稀土矿",
]
EXTRA = (
    " 一篇只在旧文本里的文章 \n\n近日，某地举办了一场稀土产业论坛，来自各地的企业代表参加。"
    "\n\n（来源：某网）\n"
)


def with_extra_article(tmp_path):
    """The original text with one more article, as an earlier, different cut of the issue."""
    text = ORIGINAL.read_text(encoding="utf-8")
    head, tail = text.rsplit("\n- 3 -", 1)
    path = tmp_path / "old.txt"
    path.write_text(head + "\n" + EXTRA + "\n- 3 -" + tail, encoding="utf-8")
    return path


def run(config, *args):
    result = CliRunner().invoke(cli, ["--content", str(config.content_dir), *args])
    assert "Traceback" not in result.output
    return result


def run_json(config, *args):
    result = run(config, "import", "--json", *args)
    return result.exit_code, json.loads(result.output)


def files(config):
    return sorted(p.stem for p in (config.content_dir / "2021-05").glob("*.md"))


def titles(config):
    return sorted(
        title_key(p.read_text(encoding="utf-8").split("\ntitle: ")[1].split("\n")[0])
        for p in (config.content_dir / "2021-05").glob("*.md")
    )


def test_the_variant_cuts_the_same_articles_as_the_original():
    from kb.importer import import_file

    for path in (ORIGINAL, VARIANT):
        result = import_file(path)
        assert [title_key(a.title) for a in result.articles] == [title_key(t) for t in GOLD]


def test_replace_from_another_converters_text_keeps_one_article_per_gold_article(config, tmp_path):
    old = with_extra_article(tmp_path)
    code, first = run_json(config, str(old))
    assert code == 0 and [d["action"] for d in first["documents"]] == ["new"] * 6
    ids = sorted(d["id"] for d in first["documents"] if d["title"] != "一篇只在旧文本里的文章")

    code, again = run_json(config, "--replace", str(VARIANT))
    assert code == 0
    assert sorted(d["id"] for d in again["documents"]) == ids  # same ids from another text
    assert [s["action"] for s in again["stale"]] == ["removed"]
    assert again["stale"][0]["title"] == "一篇只在旧文本里的文章"
    assert files(config) == ids
    assert titles(config) == sorted(title_key(t) for t in GOLD)

    code, third = run_json(config, "--replace", str(VARIANT))
    assert {d["action"] for d in third["documents"]} == {"unchanged"} and third["stale"] == []
    code, back = run_json(config, "--replace", str(ORIGINAL))  # and back to the first converter
    assert files(config) == ids and back["stale"] == []


def test_without_replace_nothing_is_lost_and_stale_articles_are_named(config, tmp_path):
    old = with_extra_article(tmp_path)
    run(config, "import", str(old))
    before = files(config)
    result = run(config, "import", str(VARIANT))
    assert result.exit_code == 0
    assert files(config) == before
    assert "不再属于本期的旧文章 1 篇（已保留；加 --replace 删除）" in result.output
    assert "[不再属于本期，保留] 一篇只在旧文本里的文章" in result.output
    _, data = run_json(config, "--dry-run", str(VARIANT))
    assert [(s["title"], s["action"]) for s in data["stale"]] == [("一篇只在旧文本里的文章", "stale")]


def test_dry_run_shows_each_articles_action(config):
    run(config, "import", str(ORIGINAL))
    folder = config.content_dir / "2021-05"
    edited = next(p for p in folder.glob("*.md") if "海外某稀土矿" in p.read_text(encoding="utf-8"))
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("1.8 万吨", "1.9 万吨").replace("1.8万吨", "1.9万吨"), encoding="utf-8")
    gone = next(p for p in folder.glob("*.md") if "什么是离子吸附型" in p.read_text(encoding="utf-8"))
    gone.unlink()
    _, data = run_json(config, "--dry-run", str(VARIANT))
    actions = {d["title"]: d["action"] for d in data["documents"]}
    assert actions["海外某稀土矿项目获得开采许可"] == "edited"
    assert actions["什么是离子吸附型稀土矿"] == "new"
    assert actions["示例稀土价格月内小幅回升"] == "changed"  # the variant wraps and spaces differently
    changed = next(d for d in data["documents"] if d["title"] == "示例稀土价格月内小幅回升")
    assert "body" in changed["changes"]
    assert not (folder / f"{changed['id']}.md").read_text(encoding="utf-8").count("５")  # nothing written


def test_hand_edited_files_survive_replace_unless_forced(config, tmp_path):
    old = with_extra_article(tmp_path)
    run(config, "import", str(old))
    folder = config.content_dir / "2021-05"
    for path in folder.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        if "一篇只在旧文本里的文章" in text or "海外某稀土矿" in text:
            path.write_text(text + "\n编辑补充。\n", encoding="utf-8")
    result = run(config, "import", "--replace", str(VARIANT))
    assert result.exit_code == 0
    assert sum("编辑补充" in p.read_text(encoding="utf-8") for p in folder.glob("*.md")) == 2
    assert (
        "[人工编辑过，保留（期号、正文）] （无栏目） | 新闻 | 海外某稀土矿项目获得开采许可" in result.output
    )
    assert "（加 --force 一并删除）" in result.output
    run(config, "import", "--replace", "--force", str(VARIANT))
    assert sum("编辑补充" in p.read_text(encoding="utf-8") for p in folder.glob("*.md")) == 0
    assert len(files(config)) == 5


def test_a_text_naming_no_issue_is_refused_until_the_issue_is_given(config, tmp_path):
    text = "\n".join(
        line for line in ORIGINAL.read_text(encoding="utf-8").split("\n") if "2021年" not in line
    )
    path = tmp_path / "2021-05.txt"
    path.write_text(text, encoding="utf-8")
    result = run(config, "import", str(path))
    assert result.exit_code == 1
    assert (
        "无法确定期号" in result.output
        and "--issue YYYY-NN" in result.output
        and "本文件未写入" in result.output
    )
    assert not config.content_dir.exists()
    result = run(config, "import", "--issue", "2021-05", str(path))
    assert result.exit_code == 0 and "（取自指定的期号）" in result.output
    assert len(files(config)) == 5
    bad = run(config, "import", "--issue", "May", str(path))
    assert bad.exit_code == 1 and "期号“May”无法识别" in bad.output


def test_the_review_speaks_chinese(config):
    result = run(config, "import", "--dry-run", str(ORIGINAL))
    out = result.output
    for expected in (
        "期号：示例稀土信息简报 2021年第5期（取自页眉页脚） → content/2021-05/",
        "文章 5 篇：新增 5",
        "按栏目与类型：",
        "（无栏目）：市场行情 1，研究 1，政策 1，新闻 1，知识 1",
        "[新增] （无栏目） | 政策 | 关于开展示例稀土企业专项检查的通知",
        "日期：2021-04-30（文中日期）",
        "日期：2021-05（取自期号）",
        "⚠ 日期取自期号",
        "编号：GB/T 12345-2020",
        "删除的版面行 5 行：",
        "页码 3 行，例：- 1 - | - 2 - | - 3 -",
        "（预览：没有写入任何文件）",
    ):
        assert expected in out, expected
    for english in ("dropped", "warning", "written", "news", "policy", "running header"):
        assert english not in out


@pytest.mark.parametrize(
    "title, reason",
    [
        ("16", "只有数字或标点"),
        ("手锏”技术", "引号或括号不成对"),
        ("”技术突破", "以右引号或右括号开头"),
        ("强", "少于四个字"),
    ],
)
def test_suspicious_titles_are_flagged_in_the_review_and_by_check(config, title, reason):
    from kb.importer.review import suspicious_title

    assert suspicious_title(title) == reason
    run(config, "import", str(ORIGINAL))
    path = next((config.content_dir / "2021-05").glob("*.md"))
    text = path.read_text(encoding="utf-8")
    old_title = text.split("\ntitle: ")[1].split("\n")[0]
    path.write_text(text.replace(f"title: {old_title}", f"title: '{title}'"), encoding="utf-8")
    result = run(config, "check")
    assert result.exit_code == 0  # a warning, not a problem
    assert f"title: 标题可疑（{reason}）" in result.output and ":3: " in result.output
    assert run(config, "check", "--strict").exit_code == 1


def test_check_warns_on_two_articles_with_one_title_in_one_issue(config):
    run(config, "import", str(ORIGINAL))
    path = next((config.content_dir / "2021-05").glob("*.md"))
    copy = path.with_name("2021-05-copy.md")
    copy.write_text(
        path.read_text(encoding="utf-8").replace(f"id: {path.stem}", "id: 2021-05-copy"), encoding="utf-8"
    )
    result = run(config, "check")
    assert "同一期、同一标题" in result.output
