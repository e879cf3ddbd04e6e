"""The pinned dependency set (constraints.txt): complete, within the declared ranges, the one
installed, and the one ``make install`` applies (the images': tests/test_deploy.py)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version.strip(), f"not an exact pin: {line!r}"
        found[canonicalize_name(name)] = version.strip()
    return found


def declared() -> list[tuple[str, Requirement]]:
    """Every third-party requirement of the packages and of the test tooling, with where it is."""
    out = []
    for pyproject in sorted([*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]):
        project = tomllib.loads(pyproject.read_text())["project"]
        for text in project.get("dependencies", []):
            out.append((str(pyproject.relative_to(ROOT)), Requirement(text)))
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(("requirements-dev.txt", Requirement(line)))
    return [(where, r) for where, r in out if not canonicalize_name(r.name).startswith("campus-")]


def test_every_declared_dependency_is_pinned_within_its_range():
    pinned = pins()
    requirements = declared()
    assert len(requirements) > 20  # the files were read
    for where, requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # not installed on this platform
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} ({where}) has no pin: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} is outside {requirement} ({where}): run `make lock`"
        )


def test_the_environment_is_the_pinned_one():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    different = {
        name: (version, installed.get(name))
        for name, version in pins().items()
        if installed.get(name) != version
    }
    assert not different, f"pinned vs installed (make install applies constraints.txt): {different}"


def test_make_install_applies_the_pins():
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.M)
    assert stamp and "constraints.txt" in stamp.group(1), "a changed pin reinstalls"
    assert re.search(r"pip install .*-c constraints\.txt .*-r requirements-dev\.txt", makefile)
