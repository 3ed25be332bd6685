"""One Config, built at the edge (CLI or web factory) and passed down explicitly.

Config has one field per row of kb.settings.SETTINGS (name, default, environment variable, type,
help).  Layers: the defaults, then KB_* environment variables (read only by load_config, never by
core modules), then explicit overrides such as CLI options.

Where the knowledge base lives (its *home*, holding content/ and index/) is found the same way from
any folder, by find_home(): `--home`, else KB_HOME, else the current folder when it holds content/,
else the project folder kb was installed from (an editable install) when that holds content/.
Relative content and index folders are read against the home.  When none is found, the adapters
stop with HomeNotFound (which names every place looked at) before anything is written.
"""

import os
from dataclasses import make_dataclass, replace
from pathlib import Path

from kb.errors import HomeNotFound
from kb.settings import BY_NAME, SETTINGS, resolve

ENV_NAMES = {setting.name: setting.env for setting in SETTINGS}
PROJECT = Path(__file__).resolve().parents[1]  # the source tree of an editable install


def _with_overrides(self, **overrides):
    """A copy with the non-None `overrides` (read as their settings read them)."""
    values = {
        name: BY_NAME[name].parse(value, f"设置 {name}") if name in BY_NAME else value
        for name, value in overrides.items()
        if value is not None
    }
    return replace(self, **values)


def _staging(self):
    return Path(self.staging_dir) if self.staging_dir else Path(self.index_dir) / ".staging"


# One field per row of kb.settings.SETTINGS, with its default; frozen, so it is passed down as is.
Config = make_dataclass(
    "Config",
    [(setting.name, setting.type, setting.default) for setting in SETTINGS],
    frozen=True,
    namespace={
        "with_overrides": _with_overrides,
        "staging": property(_staging),
        "__doc__": "The settings of one run (kb.settings.SETTINGS), built at the edge, passed down.",
    },
)
Config.__module__ = __name__  # pickled by name (the index's writer processes receive it)


def find_home(home=None, cwd=None):
    """(the home folder or None, [every folder looked at, in order])."""
    if home:
        return Path(home).resolve(), [Path(home)]
    cwd = Path(cwd or os.getcwd()).resolve()
    looked = [cwd]
    if (cwd / "content").is_dir():
        return cwd, looked
    if PROJECT != cwd and (PROJECT / "setup.cfg").is_file():
        looked.append(PROJECT)
        if (PROJECT / "content").is_dir():
            return PROJECT, looked
    return None, looked


def load_config(environ=None, cwd=None, **overrides):
    """Defaults, then KB_* variables from `environ`, then non-None overrides (kb.settings.resolve);
    folders found from the home (see find_home).  Without a home, `content_dir` stays relative and
    `home` None."""
    values = {name: value for name, (value, _) in resolve(environ, **overrides).items()}
    config = Config(**values)
    home, _ = find_home(config.home, cwd)
    if home is None:
        return config
    resolved = {
        name: home / getattr(config, name)
        for name in ("content_dir", "index_dir")
        if not Path(getattr(config, name)).is_absolute()
    }
    return replace(config, home=home, **resolved)


def require_home(config, named=False, cwd=None):
    """Stop (HomeNotFound, exit 2) when no knowledge base was found and no content folder was named
    (`named`: --content or KB_CONTENT given)."""
    if named or config.home is not None or Path(cwd or os.getcwd(), config.content_dir).is_dir():
        return config
    _, looked = find_home(None, cwd)
    raise HomeNotFound(
        "找不到知识库：" + "、".join(str(p) for p in looked) + " 里都没有 content/ 文件夹",
        hint="到知识库所在的文件夹里运行，或用 --home 目录 / 环境变量 KB_HOME 指明它；"
        "新建一个知识库：kb --home 新目录 import 文件",
    )
