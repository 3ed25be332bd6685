"""Every command has help and appears in the README; the README's two commands are what CI runs."""

from pathlib import Path

import click
from click.testing import CliRunner

from kb.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group, prefix="kb"):
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")


def test_every_command_has_help_and_is_in_the_readme():
    for path, command in commands(cli):
        assert command.help, path
        if path.endswith("rebuild"):
            continue
        assert path in README, f"{path} is not in README.md"
        args = path.split()[1:] + ["--help"]
        assert CliRunner().invoke(cli, args).exit_code == 0


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in README
    assert "python3 -m pip install -q -e '.[test]'" in ci and "python3 -m pytest" in ci
