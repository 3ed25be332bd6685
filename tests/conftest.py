"""Shared fixtures: config factory, a built index over the shipped content, the app and clients."""

import os
import shutil
from pathlib import Path

import pytest

from kb.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
DATA = Path(__file__).resolve().parent / "data"
# The larger shared corpora (seeds, law corpus, dev queries) live beside the repository; KB_SHARED
# points elsewhere (CI sets it to a folder that does not exist to prove the suite needs none of it).
SHARED = Path(os.environ.get("KB_SHARED") or ROOT.parent / "shared")
SEEDS = SHARED / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
LAWS_ARCHIVE = SHARED / "corpora" / "laws.tar.xz"
needs_seeds = pytest.mark.skipif(
    not SEED_FILES, reason=f"the shared seeds are not at {SEEDS} (set KB_SHARED)"
)
needs_laws = pytest.mark.skipif(
    not LAWS_ARCHIVE.exists(), reason=f"the shared law corpus is not at {LAWS_ARCHIVE} (set KB_SHARED)"
)

# Purpose-made excerpts (tests/data/README.md): one bulletin per converter shape.
BULLETIN = DATA / "bulletin-markdown.txt"  # 2024-01: 8 articles, patents
BULLETIN_TABS = DATA / "bulletin-tabs.txt"  # 2022-08: plan table, prices
BULLETIN_WRAPPED = DATA / "bulletin-wrapped.txt"
BULLETIN_CELLS = DATA / "bulletin-cells.txt"
POLICY = DATA / "policy.txt"
DATA_FILES = [BULLETIN, BULLETIN_TABS, BULLETIN_WRAPPED, BULLETIN_CELLS, POLICY]
LAW_FILES = sorted((DATA / "laws").glob("*.md"))


def make_config(tmp_path, **overrides):
    values = {"content_dir": tmp_path / "content", "index_dir": tmp_path / "index"}
    values.update(overrides)
    return Config(**values)


def copy_some_articles(config, count=6):
    """The first `count` articles of the shipped 2024-01 issue copied into config's content/."""
    target = config.content_dir / "2024-01"
    target.mkdir(parents=True)
    for path in sorted((CONTENT / "2024-01").glob("*.md"))[:count]:
        shutil.copy(path, target / path.name)
    return config


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A copy of the shipped content/ with its index, built once per session."""
    from kb.indexer import rebuild

    root = tmp_path_factory.mktemp("kb")
    shutil.copytree(CONTENT, root / "content")
    cfg = Config(content_dir=root / "content", index_dir=root / "index", admin_token="s3cret-token")
    rebuild(cfg)
    return cfg


@pytest.fixture(scope="session")
def searcher(built):
    from kb.search import Searcher

    return Searcher.open(built)


@pytest.fixture
def app(built):
    from webui import create_app

    app = create_app(built)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
