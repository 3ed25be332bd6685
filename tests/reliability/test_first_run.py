"""A first run that cannot go wrong: kb finds its knowledge base or says where it looked."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from kb.config import find_home, load_config
from reliability.helpers import ROOT, kb


def installed_copy(tmp_path):
    """kb and webui as a plain (non-editable) install has them: no project folder around them."""
    site = tmp_path / "site"
    for package in ("kb", "webui"):
        shutil.copytree(ROOT / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    return site


def test_search_from_an_empty_folder_says_where_it_looked_and_writes_nothing(tmp_path):
    empty = tmp_path / "anywhere"
    empty.mkdir()
    site = installed_copy(tmp_path)
    result = kb("search", "稀土", cwd=empty, env={"PYTHONPATH": str(site)})
    assert result.returncode == 2, result.stderr
    assert "找不到知识库" in result.stderr and str(empty) in result.stderr and "KB_HOME" in result.stderr
    assert "Traceback" not in result.stderr and "math domain" not in result.stderr
    assert list(empty.iterdir()) == []


def test_a_named_home_without_content_is_refused_and_left_untouched(tmp_path):
    home = tmp_path / "new-kb"
    for args in (("search", "稀土"), ("index", "build"), ("lookup", "GB/T 4137"), ("serve", "--port", "1")):
        result = kb("--home", str(home), *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "内容文件夹不存在" in result.stderr and "Traceback" not in result.stderr
    assert not home.exists()


def test_help_and_version_work_anywhere(tmp_path):
    assert kb("--help", cwd=tmp_path).returncode == 0
    assert kb("index", "--help", cwd=tmp_path).returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_home_is_found_the_same_way_from_anywhere(tmp_path, home):
    inside = home / "content" / "2024-01"
    assert find_home(None, cwd=home)[0] == home.resolve()
    assert find_home(str(home), cwd=tmp_path)[0] == home.resolve()
    config = load_config({"KB_HOME": str(home)}, cwd=inside)
    assert config.content_dir == home.resolve() / "content" and config.index_dir == home.resolve() / "index"
    result = kb("search", "稀土", env={"KB_HOME": str(home)}, cwd=tmp_path)
    assert result.returncode == 0 and "条结果" in result.stdout
    assert (home / "index" / "current").is_symlink() and not (tmp_path / "index").exists()


def test_an_empty_knowledge_base_answers_without_math_domain_error(tmp_path):
    (tmp_path / "kb" / "content").mkdir(parents=True)
    result = kb("--home", str(tmp_path / "kb"), "search", "稀土")
    assert result.returncode == 0 and "0 条结果" in result.stdout, result.stderr


def test_healthz_is_503_with_a_reason_when_the_index_is_missing_or_empty(tmp_path):
    from kb.indexer import rebuild
    from webui import create_app

    config = load_config({}, home=str(tmp_path), cwd=tmp_path)
    (tmp_path / "content").mkdir()
    client = create_app(config).test_client()
    missing = client.get("/healthz")
    assert missing.status_code == 503 and "还没有索引" in missing.get_json()["reason"]
    rebuild(config)
    empty = create_app(config).test_client().get("/healthz")
    assert empty.status_code == 503 and "索引是空的" in empty.get_json()["reason"]
    assert create_app(config).test_client().get("/?q=稀土").status_code == 200


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_binds_first_builds_in_the_background_and_refuses_a_busy_port(home):
    port = free_port()
    env = {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "--home", str(home), "serve", "--port", str(port)],
        env={**__import__("os").environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        statuses, deadline = [], time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    statuses.append(response.status)
                    break
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
            except OSError:
                pass
            time.sleep(0.05)
        assert statuses and statuses[-1] == 200, statuses
        assert set(statuses) <= {503, 200}
        busy = kb("--home", str(home), "serve", "--port", str(port))
        assert busy.returncode == 2
        assert f"127.0.0.1:{port}" in busy.stderr and "端口" in busy.stderr and "Traceback" not in busy.stderr
        assert "kb serving" not in busy.stderr
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert output.index("kb serving on") < output.index("索引已建立")
