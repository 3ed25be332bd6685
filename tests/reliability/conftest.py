import shutil

import pytest

from reliability.helpers import CONTENT


@pytest.fixture
def home(tmp_path):
    """A knowledge base folder holding a copy of two issues of the shipped content/ (no index)."""
    root = tmp_path / "kb"
    for issue in ("2024-01", "2022-08"):
        shutil.copytree(CONTENT / issue, root / "content" / issue)
    return root
