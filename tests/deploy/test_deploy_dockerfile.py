"""deploy/Dockerfile lint-ish checks and the pinned runtime dependency lock."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kabar.http import ObservabilityServer
from tests.deploy.queries import DEPLOY, REPO

DOCKERFILE = DEPLOY / "Dockerfile"
LOCK = DEPLOY / "requirements.lock"
BUILD_TOOLS = ("gcc", "g++", "build-essential", "make ", "clang", "python3-dev")


@dataclass
class Stage:
    name: str
    lines: list[str] = field(default_factory=list)

    def instructions(self, keyword: str) -> list[str]:
        return [ln.split(None, 1)[1] for ln in self.lines if ln.split(None, 1)[0] == keyword]


def stages() -> list[Stage]:
    """The Dockerfile's stages, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    found: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append(Stage(line.split()[-1] if " AS " in line.upper() else ""))
        if found:
            keyword, _, rest = line.partition(" ")
            found[-1].lines.append(f"{keyword.upper()} {rest}")
    return found


def test_multi_stage_with_a_named_builder() -> None:
    found = stages()
    assert len(found) >= 2
    assert found[0].name == "builder"
    final = found[-1]
    assert any("--from=builder" in c for c in final.instructions("COPY"))


def test_final_stage_runs_as_non_root() -> None:
    users = stages()[-1].instructions("USER")
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0].strip()
    assert user not in ("root", "0")


def test_final_stage_has_no_build_tools() -> None:
    final = " ".join(stages()[-1].instructions("RUN"))
    assert "apt-get install" not in final
    for tool in BUILD_TOOLS:
        assert tool not in final, tool
    builder = " ".join(stages()[0].instructions("RUN"))
    assert "requirements.lock" in builder and "--only-binary" in builder


def test_healthcheck_expose_and_cmd() -> None:
    final = stages()[-1]
    (health,) = final.instructions("HEALTHCHECK")
    assert "/readyz" in health
    port = re.search(r"127\.0\.0\.1:(\d+)/readyz", health)
    assert port is not None and final.instructions("EXPOSE") == [port.group(1)]
    assert final.instructions("CMD") == ['["kabar", "run", "--config", "/etc/kabar/kabar.toml"]']


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"not pinned with ==: {line}"
            pins[str(canonicalize_name(name))] = version.strip()
    return pins


def test_lock_pins_every_runtime_dependency_compatibly() -> None:
    pins = _lock()
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} missing from {LOCK.name}"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}"


def test_lock_has_no_dev_tools() -> None:
    pins = _lock()
    for dev in ("pytest", "pytest-asyncio", "hypothesis", "ruff", "mypy", "pyyaml"):
        assert dev not in pins, dev


def test_lock_is_closed_over_installed_requirements() -> None:
    """Every requirement of a locked package is itself locked (so pip never resolves)."""
    pins = _lock()
    for name in pins:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            pytest.skip(f"{name} is not installed here; cannot read its requirements")
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                assert canonicalize_name(req.name) in pins, f"{name} needs {req.name}"


def _healthcheck_argv(port: int) -> list[str]:
    (health,) = stages()[-1].instructions("HEALTHCHECK")
    argv: list[str] = json.loads(health[health.index("CMD") + 3 :].strip())
    return [sys.executable if a == "python" else a.replace(":9108/", f":{port}/") for a in argv]


async def _exit_code(argv: list[str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(proc.wait(), 30)


async def test_healthcheck_command_follows_readyz() -> None:
    state = {"ready": False}

    async def ready() -> tuple[bool, str]:
        return state["ready"], "broker unreachable"

    server = ObservabilityServer("127.0.0.1", 0, ready)
    port = await server.start()
    try:
        argv = _healthcheck_argv(port)
        assert await _exit_code(argv) != 0
        state["ready"] = True
        assert await _exit_code(argv) == 0
    finally:
        await server.stop()
