"""The project's packaging files agree with each other and with the README."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from nbkit import schema

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _conda_pip() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = [d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "environment.yml needs exactly one pip: section"
    return pip[0]["pip"]


def test_environment_yml_installs_the_same_dependencies_as_pyproject():
    project = _pyproject()["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    listed = {d for d in _conda_pip() if not d.startswith(("-e", "torch"))}
    assert listed == wanted


def test_environment_yml_installs_the_package_itself_and_pins_torch_first():
    pip = _conda_pip()
    assert pip[0] == "torch==2.13.0"
    assert "-e ." in pip


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
