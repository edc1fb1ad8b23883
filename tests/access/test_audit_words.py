"""Every action the audit log records has plain words, and the log and its CSV show them
with dates as people write them (the CSV keeps the ISO time and the code beside them)."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path

from sos_workforce import access
from sos_workforce.access.audit_log import ACTION_WORDS, action_words, events_csv
from sos_workforce.core.db import Database
from tests.support.factories import World

PACKAGE = Path(access.__file__).resolve().parents[1]


def _action_codes() -> dict[str, str]:
    """Every action code passed to ``record_event`` anywhere in the code (both branches of
    a conditional code too), with where it is written."""
    codes: dict[str, str] = {}

    def literals(node: ast.expr | None, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            codes.setdefault(node.value, where)
        elif isinstance(node, ast.IfExp):
            literals(node.body, where)
            literals(node.orelse, where)
        else:
            raise AssertionError(f"{where}: the action is not a literal; give it words here")

    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name != "record_event":
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            action = node.args[2] if len(node.args) > 2 else None
            for keyword in node.keywords:
                if keyword.arg == "action":
                    action = keyword.value
            literals(action, where)
    return codes


def test_every_action_code_has_words() -> None:
    codes = _action_codes()
    assert len(codes) > 50  # the walk finds the calls
    missing = {code: where for code, where in codes.items() if code not in ACTION_WORDS}
    assert not missing, f"add plain words to audit_log.ACTION_WORDS for {missing}"
    unused = set(ACTION_WORDS) - set(codes)
    assert not unused, f"words for actions nothing records: {unused}"
    for code, words in ACTION_WORDS.items():
        assert words[0].isupper() and "_" not in words and code not in words, code


def test_words_read_as_people_write() -> None:
    assert action_words("wave_launched") == "Launched a survey wave"
    assert action_words("exported") == "Downloaded"
    assert action_words("something_new") == "Something new"  # never the raw code


def test_the_csv_has_words_beside_the_machine_columns(db: Database, world: World) -> None:
    with db.write() as session:
        access.record_event(
            session, world.lead, "wave_launched", organisation_id=world.organisation_id
        )
    access.record_export(
        db, world.lead, organisation_id=world.organisation_id, kind="band_table_csv", count=3
    )
    data, _ = events_csv(db, world.lead, access.AuditFilter(world.organisation_id))
    rows = [dict(zip(*pair, strict=True)) for pair in _pairs(data)]
    by_code = {row["Action code"]: row for row in rows}
    launched = by_code["wave_launched"]
    assert launched["What happened"] == "Launched a survey wave"
    assert by_code["exported"]["What happened"] == "Downloaded: Confidence band table (CSV)"
    moment = dt.datetime.fromisoformat(launched["When (ISO 8601, UTC)"])
    assert moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0)
    assert launched["When (UTC)"] == f"{moment.day} {moment:%b %Y, %H:%M}"


def _pairs(data: bytes) -> list[tuple[list[str], list[str]]]:
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [(parsed[0], row) for row in parsed[1:]]
