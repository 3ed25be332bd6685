"""Shared fixtures: config factory, a built index over the shipped content, the app and clients."""

import shutil
from pathlib import Path

import pytest

from kb.config import Config

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
CONTENT = ROOT / "content"
DATA = Path(__file__).resolve().parent / "data"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def make_config(tmp_path, **overrides):
    values = {"content_dir": tmp_path / "content", "index_dir": tmp_path / "index"}
    values.update(overrides)
    return Config(**values)


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
