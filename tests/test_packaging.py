"""The project's packaging files agree with each other and with the README."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from nbkit import schema

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _conda_pip() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = [d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "environment.yml needs exactly one pip: section"
    return pip[0]["pip"]


def _lock() -> dict[str, str]:
    """requirements.lock as {normalized name: version}; every line must be a bare exact pin."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        # name==version and nothing else: no ranges, markers, options or hashes, so pip and uv read it alike and the
        # CPU torch wheel (2.13.0+cpu) satisfies its pin
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.]*)", spec)
        assert match, f"requirements.lock: not an exact pin: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock pins {name} twice"
        pins[name] = match.group(2)
    return pins


def _stamp_recipe() -> list[str]:
    """The commands of the Makefile rule that sets up .venv, in order."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^LOCK := requirements\.lock$", makefile, re.M)
    rule = re.search(r"^\$\(STAMP\):(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, "the Makefile needs a $(STAMP) rule"
    assert "$(LOCK)" in rule.group(1).split(), "the setup stamp must depend on the lock"
    return [line.strip() for line in rule.group(2).splitlines()]


def test_lock_pins_every_dependency_named_in_pyproject_exactly():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    assert set(extras) == {"dev", "bench"}, "a new extra needs locking too: add it to `make lock`'s --extra list"
    pins = _lock()
    for dependency in project["dependencies"] + extras["dev"] + extras["bench"]:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement.specifier}: run make lock")
    assert "nbkit" not in pins, "nbkit itself is installed from the work tree, not from the lock"


def test_lock_pins_cpu_torch_and_holds_no_cuda_packages():
    pins = _lock()
    assert pins["torch"] == "2.13.0"
    cuda = sorted(name for name in pins if name.startswith(("nvidia-", "triton", "cuda-")))
    assert not cuda, f"requirements.lock holds CUDA packages: {cuda}"


def test_environment_yml_installs_the_lock_then_the_package_itself():
    assert _conda_pip() == ["-r requirements.lock", "-e ."]


def test_makefile_installs_torch_first_then_the_lock_then_the_package_itself():
    recipe = _stamp_recipe()

    def step(*words: str) -> int:
        found = [i for i, line in enumerate(recipe) if all(w in line.split() for w in words)]
        assert len(found) == 1, f"the setup rule needs one command with {words}"
        return found[0]

    torch = step("torch==2.13.0", "-c", "$(LOCK)")
    lock = step("--no-deps", "-r", "$(LOCK)")
    package = step("--no-deps", "-e", ".")
    assert torch < lock < package


def test_installed_environment_agrees_with_the_lock():
    wrong = {}
    for name, pinned in _lock().items():
        try:
            installed = Version(metadata.version(name)).public  # 2.13.0+cpu is torch 2.13.0
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong[name] = f"{installed}, locked {pinned}"
    assert not wrong, f"this environment is not the lock's (make clean setup reinstalls it): {wrong}"


def test_python_version_agrees():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda_python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = _pyproject()["project"]["requires-python"].removeprefix(">=")
    assert conda_python.removeprefix("python=") >= minimum


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
    assert block, "the Quick start section needs a code block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one():
    commands = _quick_start_commands()
    assert commands == ["make report", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_readme_documents_every_schema_column_and_flag():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for table in (schema.markdown(schema.PAPER_COLUMNS), schema.markdown(schema.LISTING_COLUMNS),
                  schema.flags_markdown()):
        assert table in readme, "README schema is out of date: paste the output of `nbkit schema`"


def test_bundled_corpus_is_a_byte_copy_of_the_shared_one():
    shared = ROOT.parent / "shared" / "corpus" / "hf_papers"
    ours = sorted((ROOT / "data" / "raw" / "hf_papers").glob("*.txt"))
    assert len(ours) == 5
    if shared.is_dir():  # beside the clone in CI and on the team's machines
        assert {p.name: p.read_bytes() for p in ours} == {p.name: p.read_bytes() for p in shared.glob("*.txt")}
