"""requirements.lock (what the Docker image installs) keeps up with pyproject.toml."""

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def locked() -> dict[str, tuple[str, list[str]]]:
    """Each pinned package of the lock: (version, its sha256 hashes)."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
            pins[canonicalize_name(match.group(1))] = (match.group(2), hashes)
    return pins


def project() -> dict[str, Any]:
    """The [project] table of pyproject.toml."""
    table: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return table


def test_every_runtime_dependency_is_pinned_with_hashes() -> None:
    pins = locked()
    assert pins, "requirements.lock pins nothing"
    stale = []
    for spec in project()["dependencies"]:
        requirement = Requirement(spec)
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or not requirement.specifier.contains(pin[0], prereleases=True):
            stale.append(f"{spec} (locked: {pin[0] if pin else 'missing'})")
    assert not stale, "requirements.lock is out of date, run `make lock`: " + ", ".join(stale)
    unhashed = [name for name, (_, hashes) in pins.items() if not hashes]
    assert not unhashed, f"pinned without a hash: {unhashed}"


def test_development_tools_stay_out_of_the_lock() -> None:
    dev = project()["optional-dependencies"]["dev"]
    dev_only = {canonicalize_name(Requirement(spec).name) for spec in dev}
    assert not dev_only & set(locked()), "the image would install development tools"
