import json
import os
import shutil

from click.testing import CliRunner
from conftest import BULLETIN, BULLETIN_TABS

from kb.cli import cli


def run(config, *args, input=None):
    return CliRunner().invoke(
        cli, ["--content", str(config.content_dir), "--index", str(config.index_dir), *args], input=input
    )


def test_import_json_then_reimport_is_idempotent(config):
    seed = str(BULLETIN)
    result = run(config, "import", "--json", seed)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["issue"]["year"] == 2024 and len(data["documents"]) == 8
    doc = next(d for d in data["documents"] if d["type"] == "patent")
    assert {
        "id",
        "path",
        "title",
        "type",
        "section",
        "source",
        "standards",
        "plan_numbers",
        "patents",
        "doc_numbers",
    } <= set(doc)
    files = sorted(config.content_dir.rglob("*.md"))
    again = json.loads(run(config, "import", "--json", seed).output)
    assert sorted(config.content_dir.rglob("*.md")) == files
    assert [d["id"] for d in again["documents"]] == [d["id"] for d in data["documents"]]
    assert again["written"] == []


def test_dry_run_writes_nothing_and_reports(config):
    result = run(config, "import", "--dry-run", str(BULLETIN_TABS))
    assert result.exit_code == 0
    assert "删除的版面行" in result.output and "行业动态" in result.output
    assert not config.content_dir.exists()


def test_hand_edited_files_are_skipped_unless_forced(config):
    seed = str(BULLETIN)
    run(config, "import", seed)
    path = sorted(config.content_dir.rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n编辑补充。\n", encoding="utf-8")
    result = run(config, "import", seed)
    assert "人工编辑过，未覆盖" in result.output and path.name in result.output
    assert "编辑补充" in path.read_text(encoding="utf-8")
    run(config, "import", "--force", seed)
    assert "编辑补充" not in path.read_text(encoding="utf-8")


def test_bad_inputs_get_clear_messages(config, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\x00\x00\x01\x02" * 50)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 50)
    result = run(config, "import", str(empty), str(broken), str(binary), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    assert "empty.txt: the file is empty" in result.output
    assert "broken.pdf: PDF 无法读取 the PDF cannot be read" in result.output
    assert "photo.jpg: this looks like a binary file" in result.output
    assert "missing.txt: no such file" in result.output
    assert "Traceback" not in result.output


def test_gbk_file_imports(config, tmp_path):
    text = BULLETIN.read_text(encoding="utf-8")
    gbk = tmp_path / "issue-gbk.txt"
    gbk.write_bytes(text.encode("gb18030"))
    result = run(config, "import", "--json", str(gbk))
    assert result.exit_code == 0
    assert len(json.loads(result.output)["documents"]) == 8


def test_unwritable_content_folder_leaves_nothing_behind(config, tmp_path):
    if os.geteuid() == 0:
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where a folder should be")
        config = config.with_overrides(content_dir=blocker / "content")
    else:
        config.content_dir.mkdir()
        config.content_dir.chmod(0o500)
    result = run(config, "import", str(BULLETIN))
    assert result.exit_code != 0
    assert "cannot write" in result.output and "nothing was changed" in result.output


def test_check_reports_every_problem_with_file_and_line(config):
    folder = config.content_dir / "x"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text(
        "---\nid: a\ntitle: 甲\ntype: nonsense\ndate: yesterday\n---\n正文\n", encoding="utf-8"
    )
    (folder / "b.md").write_text("---\nid: a\ntitle: [oops\n---\n", encoding="utf-8")
    result = run(config, "check")
    assert result.exit_code == 1
    assert "a.md:4: type: must be one of" in result.output
    assert "a.md:5: date:" in result.output
    assert "b.md:3: front matter is not valid YAML" in result.output or "b.md:2" in result.output


def test_search_json_lines_from_stdin_and_lookup(built, tmp_path):
    config = built
    result = run(config, "search", "--json", "-", input="钕铁硼\nGBT4137\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().split("\n")]
    assert len(lines) == 2 and lines[0]["total"] > 0
    assert {"id", "title", "type", "section", "issue", "date", "score", "snippet", "path"} <= set(
        lines[0]["hits"][0]
    )
    assert lines[1]["hits"][0]["type"] == "standard_plan"
    lookup = json.loads(run(config, "lookup", "--json", "gb/t 4137-2015").output)
    assert lookup["plans"][0]["plan_number"] == "20220753-T-469"


def test_search_builds_the_index_when_missing(config):
    from conftest import CONTENT

    shutil.copytree(CONTENT / "2024-01", config.content_dir / "2024-01")
    result = run(config, "search", "专利")
    assert result.exit_code == 0 and "条结果" in result.output
    assert (config.index_dir / "current").exists()
