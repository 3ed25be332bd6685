"""kb/settings.py: one table that Config, the KB_* variables, `kb --help`, `kb settings` and the web
app all read."""

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.config import Config, load_config
from kb.settings import SETTINGS, SettingError, resolve

SAMPLES = {
    "path": ("/srv/kb-x", Path("/srv/kb-x")),
    "str": ("v@lue", "v@lue"),
    "int": ("7", 7),
    "bool": ("yes", True),
}
CLEAN = {setting.env: None for setting in SETTINGS}  # CliRunner: these variables unset


def settings_json(*args, env=None):
    result = CliRunner().invoke(cli, [*args, "settings", "--json"], env={**CLEAN, **(env or {})})
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


def test_every_config_field_has_exactly_one_row_and_one_variable():
    names = [setting.name for setting in SETTINGS]
    envs = [setting.env for setting in SETTINGS]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(Config))
    assert len(set(names)) == len(names) and len(set(envs)) == len(envs)
    assert all(env.startswith("KB_") for env in envs)
    assert {f.name: f.default for f in dataclasses.fields(Config)} == {s.name: s.default for s in SETTINGS}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_the_variable_sets_its_setting(setting):
    raw, value = SAMPLES[setting.kind]
    if setting.maximum is not None:
        raw, value = str(setting.maximum), setting.maximum
    resolved = resolve({setting.env: raw})
    assert resolved[setting.name] == (value, "env")
    others = {name: source for name, (_, source) in resolved.items() if name != setting.name}
    assert set(others.values()) == {"default"}


def test_load_config_reads_variables_and_resolves_folders_against_the_home(tmp_path):
    (tmp_path / "content").mkdir()
    config = load_config({"KB_HOME": str(tmp_path), "KB_PAGE_SIZE": "25", "KB_SECURE_COOKIES": "on"})
    assert config.home == tmp_path.resolve() and config.content_dir == tmp_path.resolve() / "content"
    assert config.page_size == 25 and config.secure_cookies is True and config.proxy_hops == 0


def test_an_option_overrides_the_variable(tmp_path):
    env = {"KB_CONTENT": str(tmp_path / "theirs"), "KB_PAGE_SIZE": "20", "KB_PROXY_HOPS": "2"}
    rows = settings_json("--content", str(tmp_path / "mine"), "--setting", "page_size", "30", env=env)
    seen = {name: (row["value"], row["source"]) for name, row in rows.items()}
    assert seen["content_dir"] == (str(tmp_path / "mine"), "option")
    assert seen["page_size"] == ("30", "option") and seen["proxy_hops"] == ("2", "env")
    assert seen["max_upload_bytes"] == (str(5 * 1024 * 1024), "default")


def test_kb_settings_masks_secrets():
    result = CliRunner().invoke(
        cli, ["settings"], env={**CLEAN, "KB_ADMIN_TOKEN": "tok-123456", "KB_SECRET_KEY": "key-654321"}
    )
    assert result.exit_code == 0, result.output
    assert "tok-123456" not in result.output and "key-654321" not in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("admin_token"))
    assert "******" in line and "env" in line and "KB_ADMIN_TOKEN" in line


def test_kb_help_lists_every_variable_and_default():
    result = CliRunner().invoke(cli, ["--help"], env=CLEAN)
    assert result.exit_code == 0 and "设置" in result.output
    for setting in SETTINGS:
        assert setting.env in result.output, setting.env
        assert f"（{setting.name}，默认 {setting.shown_default}）" in result.output


@pytest.mark.parametrize(
    "env, args, named",
    [
        ({"KB_PAGE_SIZE": "abc"}, [], "KB_PAGE_SIZE"),
        ({"KB_PAGE_SIZE": "0"}, [], "KB_PAGE_SIZE"),
        ({"KB_SECURE_COOKIES": "maybe"}, [], "KB_SECURE_COOKIES"),
        ({"KB_DEBUG": "perhaps"}, [], "KB_DEBUG"),
        ({}, ["--setting", "proxy_hops", "-1"], "--setting proxy_hops"),
        ({}, ["--setting", "page_sise", "5"], "page_sise"),
    ],
)
def test_a_bad_value_is_one_chinese_message_naming_it(env, args, named, tmp_path):
    result = CliRunner().invoke(cli, [*args, "--home", str(tmp_path), "check"], env={**CLEAN, **env})
    assert result.exit_code == 2, result.output
    assert named in result.output and "错误" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_bad_value_given_to_load_config_is_a_setting_error():
    with pytest.raises(SettingError, match="KB_MAX_UPLOAD_BYTES 的值“5MB”不是整数"):
        load_config({"KB_MAX_UPLOAD_BYTES": "5MB"})


def test_the_web_app_reads_page_size_and_secret_key_from_the_table(built):
    from webui import create_app

    config = built.with_overrides(page_size="3", secret_key="a-fixed-key")
    app = create_app(config)
    assert app.config["SECRET_KEY"] == "a-fixed-key"
    data = app.test_client().get("/api/search?q=稀土").get_json()
    assert data["total"] > 3 and len(data["hits"]) == 3
    assert len(app.test_client().get("/api/search?q=稀土&limit=5").get_json()["hits"]) == 5


def test_the_web_app_factory_reads_the_variables(built, monkeypatch):
    from webui import create_app

    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.setenv("KB_CONTENT", str(built.content_dir))
    monkeypatch.setenv("KB_INDEX", str(built.index_dir))
    monkeypatch.setenv("KB_MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("KB_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1234 and app.config["SECRET_KEY"] == "from-the-environment"
