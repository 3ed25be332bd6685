"""Helpers of the reliability suite: run kb in a child process, copy a small knowledge base."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


def kb(*args, cwd=None, env=None, timeout=120, **options):
    """Run `python -m kb ARGS` as staff would; returns the CompletedProcess (text)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for name in ("KB_HOME", "KB_CONTENT", "KB_INDEX", "KB_DEBUG"):
        if env is None or name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
        **options,
    )


def python(code, *args, env=None, timeout=120):
    """Run a Python snippet with kb importable; returns the CompletedProcess."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=full_env,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
    )


def count_files(folder):
    return len(list(Path(folder).rglob("*.md")))
