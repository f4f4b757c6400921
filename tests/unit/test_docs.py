"""Every setting and every CLI command is documented in the README (as datasette does)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from leadreel.cli import main
from leadreel.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_documented(name):
    assert f"LEADREEL_{name.upper()}" in README


def _commands(group: click.Group, prefix: str = "leadreel") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        out.append(f"{prefix} {name}")
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix} {name}")
    return out


@pytest.mark.parametrize("command", _commands(main))
def test_command_documented(command):
    words = command.split()
    # "leadreel users create" may be written "leadreel users create" or "users create" in a table row.
    assert command in README or " ".join(words[1:]) in README, f"{command} is not in README.md"


def test_readme_starts_with_two_command_quickstart():
    quick = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
