"""KbError is mapped once per adapter: the CLI's group (message + the class's exit code) and the web
app's handler (the class's HTTP status); /admin renders the same status on its own page."""

import io
import re

from click.testing import CliRunner
from conftest import BULLETIN, make_config

from kb.cli import cli
from kb.journal import import_lock


def test_the_cli_answers_every_kb_error_alike(built):
    base = ["--content", str(built.content_dir), "--index", str(built.index_dir)]
    unknown = CliRunner().invoke(cli, [*base, "search", "稀土", "--type", "nonsense"])
    assert unknown.exit_code == 2
    assert unknown.output.startswith("错误 error: type: 未知的筛选值 type:nonsense；可用的值：")
    bad_text = CliRunner().invoke(cli, [*base, "lookup", "GB\udcff"])
    assert bad_text.exit_code == 2 and bad_text.output.startswith("错误 error: 编号不是有效的 UTF-8 文本")


def test_an_import_busy_at_confirmation_is_a_409_on_the_admin_page_and_can_be_retried(tmp_path):
    from webui import create_app

    config = make_config(tmp_path, admin_token="t0ken", staging_dir=tmp_path / "staging")
    client = create_app(config).test_client()
    client.post("/admin/login", data={"token": "t0ken"})
    page = client.get("/admin/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    upload = {"csrf_token": csrf, "issue": (io.BytesIO(BULLETIN.read_bytes()), "2024-01.txt")}
    review = client.post("/admin/upload", data=upload, content_type="multipart/form-data")
    review = review.get_data(as_text=True)
    ticket = re.search(r'name="ticket" value="([^"]+)"', review).group(1)
    with import_lock(config.content_dir):
        busy = client.post("/admin/confirm", data={"csrf_token": csrf, "ticket": ticket})
    assert busy.status_code == 409
    page = busy.get_data(as_text=True)
    assert "另一个导入正在写入" in page and 'name="issue"' in page  # the admin page, its form kept
    assert not (config.content_dir / "2024-01").exists()
    done = client.post("/admin/confirm", data={"csrf_token": csrf, "ticket": ticket})
    assert done.status_code == 200 and "已写入 content/2024-01/" in done.get_data(as_text=True)
    assert len(list((config.content_dir / "2024-01").glob("*.md"))) == 8


def test_the_api_error_carries_the_field_of_the_kb_error(client):
    response = client.get("/api/search?q=稀土 section:不存在")
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["status"] == 400 and error["field"] == "section"
    assert "行业动态" in error["message"]
