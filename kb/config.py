"""One Config, built at the edge (CLI or web factory) and passed down explicitly.

Layers: the dataclass defaults, then KB_* environment variables (read only by
load_config, never by core modules), then explicit overrides such as CLI options.

Where the knowledge base lives (its *home*, holding content/ and index/) is found the same way from
any folder, by find_home(): `--home`, else KB_HOME, else the current folder when it holds content/,
else the project folder kb was installed from (an editable install) when that holds content/.
Relative content and index folders are read against the home.  When none is found, the adapters
stop with HomeNotFound (which names every place looked at) before anything is written.
"""

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from kb.errors import HomeNotFound

ENV_NAMES = {
    "home": "KB_HOME",
    "content_dir": "KB_CONTENT",
    "index_dir": "KB_INDEX",
    "admin_token": "KB_ADMIN_TOKEN",
    "userdict": "KB_USERDICT",
    "max_upload_bytes": "KB_MAX_UPLOAD_BYTES",
    "page_size": "KB_PAGE_SIZE",
    "index_procs": "KB_INDEX_PROCS",
    "staging_dir": "KB_STAGING",
    "secure_cookies": "KB_SECURE_COOKIES",
    "proxy_hops": "KB_PROXY_HOPS",
}
PROJECT = Path(__file__).resolve().parents[1]  # the source tree of an editable install


@dataclass(frozen=True)
class Config:
    content_dir: Path = Path("content")
    index_dir: Path = Path("index")
    admin_token: str | None = None
    userdict: Path | None = None
    max_upload_bytes: int = 5 * 1024 * 1024
    page_size: int = 10
    index_procs: int = 0  # processes for a full build; 0 = one per core for large builds
    home: Path | None = None  # the folder content/ and index/ were found in (None: given explicitly)
    staging_dir: Path | None = None  # private folder for uploads awaiting review; None: index/.staging
    secure_cookies: bool = False  # mark the admin session cookie Secure even over plain HTTP
    proxy_hops: int = 0  # reverse proxies in front of kb whose X-Forwarded-For/-Proto are trusted

    def with_overrides(self, **overrides):
        values = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce(values))

    @property
    def staging(self):
        return Path(self.staging_dir) if self.staging_dir else Path(self.index_dir) / ".staging"


def _coerce(values):
    types = {f.name: f.type for f in fields(Config)}
    out = {}
    for name, value in values.items():
        kind = str(types[name])
        if "Path" in kind:
            value = Path(value)
        elif "bool" in kind and isinstance(value, str):
            value = value.strip().lower() in ("1", "true", "yes", "on")
        elif "int" in kind:
            value = int(value)
        out[name] = value
    return out


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
    """Defaults, then KB_* variables from `environ`, then non-None overrides; folders found from
    the home (see find_home).  Without a home, `content_dir` stays relative and `home` None."""
    environ = environ or {}
    from_env = {name: environ[var] for name, var in ENV_NAMES.items() if environ.get(var)}
    config = Config().with_overrides(**from_env).with_overrides(**overrides)
    home, _ = find_home(config.home, cwd)
    if home is None:
        return config
    resolved = {name: home / getattr(config, name) for name in ("content_dir", "index_dir")
                if not Path(getattr(config, name)).is_absolute()}
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
             "新建一个知识库：kb --home 新目录 import 文件")
