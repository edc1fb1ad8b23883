"""Code-quality gates that CI must not skip: lint, types, layering, README ↔ CI."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.lint


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed; install the test extras"
    return found


def test_ruff_is_clean() -> None:
    result = _run(_tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = _run(_tool("ruff"), "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_mypy_is_clean_on_the_package_and_the_pages() -> None:
    pages = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
    result = _run(_tool("mypy"), "sos_workforce", "app.py", "ui.py", "survey_form.py", *pages)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pages_never_import_models_or_sqlalchemy() -> None:
    for page in [*ROOT.glob("*.py"), *(ROOT / "pages").glob("*.py")]:
        imported = _imports(page)
        assert "sos_workforce.models" not in imported, page


def test_package_never_imports_streamlit() -> None:
    for module in (ROOT / "sos_workforce").rglob("*.py"):
        assert not {n for n in _imports(module) if n.split(".")[0] == "streamlit"}, module


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:bash|sh)\n(.+?)\n```", quick_start, flags=re.S)
    assert len(commands) == 2, "the Quick start holds exactly two commands"
    assert all("\n" not in command.strip() for command in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci.splitlines()
