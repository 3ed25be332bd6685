"""Bad files get messages naming file and line; hostile input costs bounded time and memory."""

import json
import time

import pytest

from kb.errors import BulletinError
from kb.importer import MAX_LINE_CHARS, import_file, import_text
from kb.search import highlight_html
from reliability.helpers import kb


def test_utf16_and_utf32_files_with_a_byte_order_mark_import(tmp_path):
    from conftest import BULLETIN

    text = BULLETIN.read_text(encoding="utf-8")
    expected = [a.title for a in import_file(BULLETIN).articles]
    for encoding in ("utf-16", "utf-16-be", "utf-32"):
        path = tmp_path / f"issue-{encoding}.txt"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        path.write_bytes(data)
        assert [a.title for a in import_file(path).articles] == expected, encoding


def test_utf16_without_a_byte_order_mark_imports_and_binary_is_still_refused(tmp_path):
    from conftest import BULLETIN

    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(BULLETIN.read_text(encoding="utf-8").encode(encoding))
        assert len(import_file(path).articles) == 8
    for n, data in enumerate((bytes(range(256)) * 40, b"\x00\x01" * 100, "Ā".encode("utf-16-le") * 99)):
        binary = tmp_path / f"scan{n}.pdf"
        binary.write_bytes(data)
        with pytest.raises(BulletinError, match=f"scan{n}.pdf.*binary"):
            import_file(binary)


def test_a_broken_byte_order_mark_file_is_named(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xfe" + "稀土".encode("utf-16-le") + b"\x00")
    with pytest.raises(BulletinError, match="broken.txt.*UTF-16-LE"):
        import_file(path)


def test_unclosed_front_matter_names_the_file(tmp_path):
    folder = tmp_path / "kb" / "content" / "x"
    folder.mkdir(parents=True)
    (folder / "open.md").write_text("---\nid: open\ntitle: 甲\n正文\n", encoding="utf-8")
    result = kb("--home", str(tmp_path / "kb"), "check")
    assert result.returncode == 1 and "open.md:1: front matter is not closed" in result.stdout
    built = kb("--home", str(tmp_path / "kb"), "index", "build")
    assert "open.md:1: front matter is not closed" in built.stderr and "Traceback" not in built.stderr


def test_query_bytes_that_are_not_utf8_get_a_message(tmp_path):
    (tmp_path / "kb" / "content").mkdir(parents=True)
    import os
    import subprocess
    import sys

    from reliability.helpers import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in (b"search", b"lookup"):
        result = subprocess.run(
            [
                sys.executable.encode(),
                b"-m",
                b"kb",
                b"--home",
                str(tmp_path / "kb").encode(),
                command,
                b"\xff\xfe\xb0\xa1",
            ],
            env=env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 2
        assert "不是有效的 UTF-8" in result.stderr.decode() and b"Traceback" not in result.stderr


def test_a_multi_megabyte_line_imports_in_bounded_time():
    sentence = (
        "稀土是不可再生的重要战略资源，是改造传统产业、发展新兴产业的关键元素。" * 40 + "见GB/T 4137-2015。"
    )
    line = sentence * (1_500_000 // len(sentence))  # 1.5 million characters, 4.5 MB of UTF-8, no break
    started = time.perf_counter()
    result = import_text("测试标题\n\n" + line + "\n（来源：测试）\n", "one-line.txt")
    seconds = time.perf_counter() - started
    print(f"\n{len(line):,}-character line imported in {seconds:.2f} s")
    assert result.articles[0].standards == ["GB/T 4137-2015"]
    assert seconds < 15  # was quadratic: 1 MB took 125 s; now about 1.5 s per million characters


def test_dense_numbers_on_one_line_are_linear():
    unit = "GB/T 4137-2015、20220747-T-469、工信部联原〔2022〕90号、CN117446850A；"
    timings = []
    for n in (2_000, 8_000):
        started = time.perf_counter()
        result = import_text("标题\n\n" + unit * n + "\n（来源：测试）\n", "dense.txt")
        timings.append(time.perf_counter() - started)
        assert result.articles[0].doc_numbers == ["工信部联原〔2022〕90号"]
    assert timings[1] < 4 * timings[0] * 2.0 + 0.5  # four times the text, about four times the time


def test_too_long_lines_and_titles_get_clear_messages():
    with pytest.raises(BulletinError, match=r"big.txt:3: 这一行太长"):
        import_text("标题\n\n" + "稀" * (MAX_LINE_CHARS + 1) + "\n", "big.txt")
    result = import_text("稀" * 300 + "\n\n正文。\n", "title.md", kind="document")
    assert len(result.articles[0].title) == 201 and any("标题太长" in w for w in result.warnings)


def test_highlighting_never_cuts_into_a_character_reference():
    html = "<p>R&amp;D 与 &lt;稀土&gt; &#39;amp&#39; &#x4e00;</p>"
    marked = highlight_html(html, ["amp", "lt", "39", "x4e00", "稀土"])
    assert "&amp;" in marked and "&lt;" in marked and "&#39;" in marked and "&#x4e00;" in marked
    assert "<mark>稀土</mark>" in marked and marked.count("<mark>amp</mark>") == 1


def test_a_different_document_with_an_existing_id_is_refused_and_named(tmp_path):
    home = tmp_path / "kb"
    first, second = tmp_path / "规划甲.txt", tmp_path / "规划乙.txt"
    first.write_text("稀土管理办法\n\n第一条 为了规范稀土管理，制定本办法。\n", encoding="utf-8")
    second.write_text("稀土管理办法\n\n第一条 这是另一个单位的同名办法，内容完全不同。\n", encoding="utf-8")
    assert kb("--home", str(home), "import", str(first)).returncode == 0
    result = kb("--home", str(home), "import", "--json", str(second))
    data = json.loads(result.stdout)
    text = json.dumps(data, ensure_ascii=False)
    assert "规划乙.txt" in text and "规划甲.txt" in text and "not overwritten" in text
    (written,) = list((home / "content").rglob("*.md"))
    assert "为了规范稀土管理" in written.read_text(encoding="utf-8")
    again = kb("--home", str(home), "import", str(first))  # the same document again is no conflict
    assert "not overwritten" not in again.stdout


def test_very_long_documents_are_indexed_up_to_a_bound(tmp_path, monkeypatch):
    from kb import hittext, indexer
    from kb.config import Config
    from kb.search import Searcher, SearchRequest

    monkeypatch.setattr(hittext, "MAX_INDEXED_CHARS", 2000)  # the indexer's bound, one definition
    folder = tmp_path / "content" / "x"
    folder.mkdir(parents=True)
    body = "\n\n".join(f"第{n}段，稀土资源。" for n in range(400)) + "\n\n末尾独有词汇镧铈镨。"
    (folder / "long.md").write_text(
        f"---\nid: long\ntitle: 长文\ntype: news\n---\n\n{body}\n", encoding="utf-8"
    )
    config = Config(content_dir=tmp_path / "content", index_dir=tmp_path / "index")
    stats = indexer.rebuild(config)
    assert stats["documents"] == 1 and "long.md" in stats["truncated"][0] and "2,000" in stats["truncated"][0]
    searcher = Searcher.open(config)
    assert searcher.search(SearchRequest(q="稀土资源")).total == 1
    assert searcher.search(SearchRequest(q="镧铈镨")).total == 0


def test_debug_shows_the_traceback_of_an_unexpected_error(tmp_path):
    home = tmp_path / "kb"
    (home / "content").mkdir(parents=True)
    (home / "index").mkdir()
    (home / "index" / "current").symlink_to(home / "index")  # a link to a folder that holds no index
    (home / "index" / "builds").write_text("not a folder")
    plain = kb("--home", str(home), "index", "build")
    assert plain.returncode != 0 and "Traceback" not in plain.stderr and plain.stderr.count("\n") <= 3
    debug = kb("--home", str(home), "--debug", "index", "build")
    assert "Traceback" in debug.stderr
