"""The package's layers, checked by import-linter (contracts in pyproject.toml), and the
imports of the top-level UI modules, which import-linter cannot see."""

from __future__ import annotations

import ast
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.application import use_cases
from importlinter.application.app_config import settings as linter_settings
from importlinter.configuration import configure

from tests.support.tools import ROOT, tool

pytestmark = pytest.mark.lint

PYPROJECT = ROOT / "pyproject.toml"
TOP_LEVEL_MODULES = [
    "app.py",
    "ui.py",
    "survey_form.py",
    "navigation.py",
    "serve.py",
    "asgi.py",
]
DOMAINS = [
    "training",
    "access",
    "privacy",
    "mail",
    "surveys",
    "diaries",
    "workforce",
    "profiling",
    "feedback",
    "dfe",
    "outcomes",
    "reports",
    "devdata",
]


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_domain_package_is_protected_by_a_contract() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    protected = {
        module.removesuffix(".*")
        for contract in contracts
        if contract["type"] == "protected"
        for module in contract["protected_modules"]
    }
    assert protected == {f"sos_workforce.{domain}" for domain in DOMAINS}
    layered = next(c for c in contracts if c["type"] == "layers")["layers"]
    packages = {p.name for p in (ROOT / "sos_workforce").iterdir() if (p / "__init__.py").exists()}
    in_layers = {name.strip().split(".")[1] for layer in layered for name in layer.split("|")}
    assert packages <= in_layers, f"sub-packages missing from the layers: {packages - in_layers}"


class _GraphWithExtraImport:
    """The real import graph plus one deliberately wrong import."""

    def __init__(self, real: Any, importer: str, imported: str) -> None:
        self.real, self.importer, self.imported = real, importer, imported

    def build(self, **options: Any) -> grimp.ImportGraph:
        graph: grimp.ImportGraph = self.real.build(**options)
        graph.add_import(
            importer=self.importer,
            imported=self.imported,
            line_number=1,
            line_contents=f"import {self.imported}  # deliberately wrong",
        )
        return graph


@pytest.mark.parametrize(
    ("importer", "imported", "broken"),
    [
        ("sos_workforce.core.db", "streamlit", "No streamlit"),
        ("sos_workforce.core.models", "sos_workforce.surveys", "Layers of"),
        ("sos_workforce.access.auth", "sos_workforce.workforce", "Layers of"),
        (
            "sos_workforce.diaries.time_use",
            "sos_workforce.surveys.results",
            "sos_workforce.surveys",
        ),
        (
            "sos_workforce.reports.scrutiny",
            "sos_workforce.diaries.time_use",
            "API of sos_workforce.diaries",
        ),
        ("pages.dashboard", "sos_workforce.core.models", "Pages use public"),
        ("pages.waves", "sos_workforce.surveys.waves", "Pages use public"),
        ("sos_workforce.dfe.reader", "sos_workforce.outcomes", "Layers of"),
        ("sos_workforce.outcomes.report", "sos_workforce.reports", "Layers of"),
        ("sos_workforce.workforce.measures", "sos_workforce.outcomes", "Layers of"),
        ("pages.outcomes", "sos_workforce.outcomes.series", "Pages use public"),
        (
            "sos_workforce.reports.scrutiny",
            "sos_workforce.outcomes.series",
            "API of sos_workforce.outcomes",
        ),
        ("sos_workforce.outcomes.series", "sos_workforce.dfe.reader", "API of sos_workforce.dfe"),
        ("sos_workforce.mail.sender", "sos_workforce.surveys", "Layers of"),
        ("pages.waves", "sos_workforce.mail.sender", "Pages use public"),
        ("sos_workforce.surveys.waves", "sos_workforce.mail.outbox", "API of sos_workforce.mail"),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    importer: str, imported: str, broken: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    real = linter_settings.GRAPH_BUILDER
    linter_settings.configure(GRAPH_BUILDER=_GraphWithExtraImport(real, importer, imported))
    try:
        passed = use_cases.lint_imports(
            config_filename=str(PYPROJECT), cache_dir=None, no_logo=True
        )
    finally:
        linter_settings.configure(GRAPH_BUILDER=real)
    output = capsys.readouterr().out
    assert not passed, output
    broken_lines = [line for line in output.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(broken in line for line in broken_lines), output
    assert f"{importer} -> {imported}" in output.replace("\n", " ") or imported in output


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", TOP_LEVEL_MODULES)
def test_top_level_ui_modules_use_only_public_apis(module: str) -> None:
    """app.py, ui.py, survey_form.py, navigation.py, serve.py and asgi.py: no database access, and
    domains only through their package (core modules are the base every layer may use)."""
    ui_may_import = {"core", "startup", *DOMAINS}  # not the command line or maintenance
    wrong = []
    for name in _imports(ROOT / module):
        parts = name.split(".")
        database = parts[0] == "sqlalchemy" or name == "sos_workforce.core.models"
        inner_module = parts[0] == "sos_workforce" and len(parts) > 2 and parts[1] in DOMAINS
        other = parts[0] == "sos_workforce" and len(parts) == 2 and parts[1] not in ui_may_import
        if database or inner_module or other:
            wrong.append(name)
    assert not wrong, f"{module} imports {wrong}"


def test_the_top_level_import_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sos_workforce.surveys.waves import launch_wave\nimport sqlalchemy\n")
    assert _imports(bad) == {"sos_workforce.surveys.waves", "sqlalchemy"}


# --- routing: decided once per process, before any request ------------------------------


def test_streamlit_still_decides_legacy_pages_mode_with_the_flag_serve_py_sets(
    tmp_path: Path,
) -> None:
    """serve.py relies on a Streamlit internal: ``PagesManager.uses_pages_directory``,
    set from the ``pages/`` folder only while it is None. If Streamlit changes that, this
    fails before a first request can again list page files in a sidebar."""
    from streamlit.runtime.pages_manager import PagesManager

    from serve import use_navigation_routing

    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None
        PagesManager(str(tmp_path / "app.py"), setup_watcher=False)
        assert PagesManager.uses_pages_directory is True  # what an unprepared process does
        use_navigation_routing()
        PagesManager(str(tmp_path / "app.py"), setup_watcher=False)
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = saved


def test_every_way_of_starting_the_app_goes_through_serve_py() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showSidebarNavigation"] is False
    launchers = {
        "sos_workforce/cli.py": (ROOT / "sos_workforce" / "cli.py").read_text(),
        "tests/support/browser.py": (ROOT / "tests" / "support" / "browser.py").read_text(),
    }
    for name, text in launchers.items():
        assert '"serve.py"' in text, name
        assert '"streamlit",\n' not in text, f"{name} starts streamlit directly"
        # asgi.py: app.py inside st.App, with the sign-in routes and the security headers.
        assert '"asgi.py"' in text and '"app.py"' not in text, name


def test_the_app_is_served_through_st_app_with_the_routes_and_the_middleware() -> None:
    """``serve.py run asgi.py``: Streamlit finds ``app`` (an ``st.App``) in asgi.py by
    reading its source, so the name and the call must stay as they are."""
    import streamlit as st

    import asgi

    assert isinstance(asgi.app, st.App)
    paths = {route.path for route in asgi.ROUTES}
    assert {"/auth/sign-in", "/auth/sign-out", "/auth/sso"} <= paths
    assert Path(asgi.app.script_path).name == "app.py"


def test_streamlit_still_redirects_the_browser_as_ui_navigate_to_expects() -> None:
    """``ui.navigate_to`` sends the message ``st.login`` sends (``auth_redirect``), which
    Streamlit's frontend answers with a full page load of its URL. If a Streamlit upgrade
    drops it, this fails rather than leaving people on a page that never moves on."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    message.auth_redirect.url = "/auth/sign-in"
    assert message.WhichOneof("type") == "auth_redirect"
    bundle = Path(st_static_dir()) / "static" / "js"
    assert any(
        "authRedirect:e=>" in path.read_text(errors="ignore")
        and "window.location.href" in path.read_text(errors="ignore")
        for path in bundle.glob("index.*.js")
    )


def st_static_dir() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static"


def test_every_fragment_checks_the_session_again() -> None:
    """A fragment's own reruns skip app.py, where the session is checked: every fragment
    goes through ``ui.guarded_fragment``, which checks it again."""
    files = [ROOT / name for name in TOP_LEVEL_MODULES if name != "ui.py"]
    files += sorted((ROOT / "pages").glob("*.py"))
    unguarded = [path.name for path in files if "st.fragment" in path.read_text(encoding="utf-8")]
    assert not unguarded, f"use ui.guarded_fragment instead of st.fragment in {unguarded}"
    assert "guarded_fragment" in (ROOT / "pages" / "dashboard.py").read_text(encoding="utf-8")
