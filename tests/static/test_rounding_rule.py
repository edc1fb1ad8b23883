"""No figure is rounded outside core/figures.py (issue 16, item 4).

Python's round(), numpy/pandas .round(), and format specs with a fixed precision (``:.1f``,
``.0%``, ``"%.2f" %``, ``format(x, ".1f")``, ``"{:.1f}".format``, Styler ``precision=``, a
chart's ``format=".1f"``) all round half to even on the binary value: 6.25 becomes 6.2 where
published tables show 6.3. Shown figures go through ``half_up`` / ``as_shown`` instead. This
scan of the package, the pages and the app's scripts names every other place, file:line;
the allowlist below holds the few that round something that is not a shown figure.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import string
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_HOME = "sos_workforce/core/figures.py"  # the one helper: rounds and formats

# path:function (fnmatch patterns; "<module>" is code outside any function) → the kinds of
# finding allowed there and why.
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "sos_workforce/devdata/*:*": (
        frozenset({"round()"}),
        "synthetic demo data: rounds generated minutes, scores and days, not shown figures",
    ),
    "sos_workforce/core/tabular.py:parse_time": (
        frozenset({"round()"}),
        "an Excel time of day (fraction of a day) to whole seconds, an input",
    ),
    "sos_workforce/diaries/periods.py:_clean_participants": (
        frozenset({"round()"}),
        "FTE ↔ contracted hours at launch: stored inputs, not shown figures",
    ),
    "sos_workforce/cli.py:generate": (
        frozenset({"format spec"}),
        "how long data generation took, a timing message",
    ),
    "ui.py:record_rerun": (
        frozenset({"format spec"}),
        "rerun timings for the load benchmark's log",
    ),
    "pages/diaries.py:<module>": (
        frozenset({"format keyword"}),
        "the FTE input column's editing format (an entered value, not a shown figure)",
    ),
}

# A precision at the end of a format spec: ".1f", ".0%", ",.2f", ".3", ".2~f" (d3).
_PRECISION = re.compile(r"\.\d+~?[a-zA-Z%]?$")
# A printf-style conversion with a precision, anywhere in a template: "%.1f", "%5.2f".
_PRINTF = re.compile(r"%[-+ #0]*\d*\.\d+[a-zA-Z]")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    function: str
    kind: str  # "round()" | "format spec" | "format keyword"
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function}): {self.kind} {self.text}"


def _spec_text(spec: ast.expr) -> str:
    """An f-string's format spec as text; a nested field (f"{x:.{p}f}") reads as 9."""
    if isinstance(spec, ast.JoinedStr):
        return "".join(
            str(part.value) if isinstance(part, ast.Constant) else "9" for part in spec.values
        )
    return ""


class _Scan(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.functions = ["<module>"]
        self.findings: list[Finding] = []

    def _add(self, node: ast.AST, kind: str, text: str) -> None:
        line = getattr(node, "lineno", 0)
        self.findings.append(Finding(self.path, line, self.functions[-1], kind, text))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "round":
            self._add(node, "round()", "round(…)")
        elif isinstance(func, ast.Attribute) and func.attr in {"round", "quantize"}:
            self._add(node, "round()", f".{func.attr}(…)")  # numpy/pandas/Decimal
        if (
            isinstance(func, ast.Name)
            and func.id == "format"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and _PRECISION.search(str(node.args[1].value))
        ):
            self._add(node, "format spec", f"format(…, {node.args[1].value!r})")
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "format"
            and isinstance(func.value, ast.Constant)
            and isinstance(func.value.value, str)
        ):
            for _, field, spec, _ in string.Formatter().parse(func.value.value):
                if field is not None and spec and _PRECISION.search(spec):
                    self._add(node, "format spec", f"{{:{spec}}}.format")
        for keyword in node.keywords:
            if keyword.arg == "precision":
                self._add(node, "format keyword", "precision=…")
            elif (
                keyword.arg == "format"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
                and (_PRECISION.search(keyword.value.value) or _PRINTF.search(keyword.value.value))
            ):
                self._add(node, "format keyword", f"format={keyword.value.value!r}")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.format_spec is not None:
            spec = _spec_text(node.format_spec)
            if _PRECISION.search(spec):
                self._add(node, "format spec", f"{{…:{spec}}}")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if (
            isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and _PRINTF.search(node.left.value)
        ):
            self._add(node, "format spec", f"{node.left.value!r} % …")
        self.generic_visit(node)


def findings_in(source: str, path: str) -> list[Finding]:
    scan = _Scan(path)
    scan.visit(ast.parse(source))
    return scan.findings


def _scanned_files() -> list[str]:
    files = [
        *(p.relative_to(ROOT).as_posix() for p in (ROOT / "sos_workforce").rglob("*.py")),
        *(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")),
        *(name for name in ("app.py", "ui.py", "survey_form.py", "navigation.py", "asgi.py")),
    ]
    return sorted(f for f in files if f != RULE_HOME and (ROOT / f).exists())


def _allowance(finding: Finding) -> str | None:
    """The allowlist pattern that covers ``finding``, if any."""
    for pattern, (kinds, _) in ALLOWED.items():
        if finding.kind in kinds and fnmatch.fnmatch(f"{finding.path}:{finding.function}", pattern):
            return pattern
    return None


def _all_findings() -> list[Finding]:
    return [
        finding
        for path in _scanned_files()
        for finding in findings_in((ROOT / path).read_text(encoding="utf-8"), path)
    ]


def test_no_figure_is_rounded_or_formatted_outside_the_one_helper() -> None:
    offending = [str(f) for f in _all_findings() if _allowance(f) is None]
    assert not offending, (
        "Round and write shown figures with core.figures.half_up / as_shown (half up), not "
        "round() or a fixed-precision format:\n" + "\n".join(offending)
    )


def test_every_allowance_is_still_needed() -> None:
    used = {_allowance(f) for f in _all_findings()}
    assert set(ALLOWED) <= used, f"unused allowances: {sorted(set(ALLOWED) - used)}"


def test_the_scan_sees_every_way_of_rounding() -> None:
    source = """
import altair as alt

def page(x, frame, d):
    round(x, 1)
    frame.round(1)
    f"{x:.1f}% and {x:+.1f} and {x:,.2f} and {x:.0%} and {x:.{places}f}"
    format(x, ".2f")
    "{:.1f} and {name:.0f}".format(x, name=x)
    "%.1f%%" % x
    frame.style.format(precision=1)
    alt.Tooltip("share:Q", format=".1f")
    # not rounding: general and date formats, widths, plain fields
    f"{x:g} {d:%d %b %Y} {x:>10} {x} {x!r}"
    alt.Tooltip("date:T", format="%d %b %Y")
    "{} {:>5}".format(x, x)
"""
    found = findings_in(source, "example.py")
    assert all(f.function == "page" for f in found)
    assert [(f.line, f.kind) for f in found] == [
        (5, "round()"),
        (6, "round()"),
        *[(7, "format spec")] * 5,
        (8, "format spec"),
        (9, "format spec"),
        (9, "format spec"),
        (10, "format spec"),
        (11, "format keyword"),
        (12, "format keyword"),
    ]
