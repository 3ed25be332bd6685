"""One Config, built at the edge (CLI or web factory) and passed down explicitly.

Layers: the dataclass defaults, then KB_* environment variables (read only by
load_config, never by core modules), then explicit overrides such as CLI options.
"""

from dataclasses import dataclass, fields, replace
from pathlib import Path

ENV_NAMES = {
    "content_dir": "KB_CONTENT",
    "index_dir": "KB_INDEX",
    "admin_token": "KB_ADMIN_TOKEN",
    "userdict": "KB_USERDICT",
    "max_upload_bytes": "KB_MAX_UPLOAD_BYTES",
    "page_size": "KB_PAGE_SIZE",
    "index_procs": "KB_INDEX_PROCS",
}


@dataclass(frozen=True)
class Config:
    content_dir: Path = Path("content")
    index_dir: Path = Path("index")
    admin_token: str | None = None
    userdict: Path | None = None
    max_upload_bytes: int = 5 * 1024 * 1024
    page_size: int = 10
    index_procs: int = 0  # processes for a full build; 0 = one per core for large builds

    def with_overrides(self, **overrides):
        values = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce(values))


def _coerce(values):
    types = {f.name: f.type for f in fields(Config)}
    out = {}
    for name, value in values.items():
        kind = str(types[name])
        if "Path" in kind:
            value = Path(value)
        elif "int" in kind:
            value = int(value)
        out[name] = value
    return out


def load_config(environ=None, **overrides):
    """Defaults, then KB_* variables from `environ`, then non-None overrides."""
    environ = environ or {}
    from_env = {name: environ[var] for name, var in ENV_NAMES.items() if environ.get(var)}
    return Config().with_overrides(**from_env).with_overrides(**overrides)
