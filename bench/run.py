"""sos-workforce benchmarks: each figure beside its reference, in one run.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/run.py --db /tmp/national.db [--generate] [--postgres URL]

``--generate`` first builds the national preset (150 authorities, 60,000 staff, 4 waves,
60 items) into ``--db``. Figures are printed; copy them into bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sos_workforce.access import Actor  # noqa: E402
from sos_workforce.core.db import Database, make_engine, upgrade  # noqa: E402
from sos_workforce.core.enums import Role  # noqa: E402
from sos_workforce.surveys import (  # noqa: E402
    WHOLE_WAVE,
    benchmark_wave,  # noqa: E402
    load_wave_counts,
    team_heatmap,
)

ADMIN = Actor(0, "bench@example", "bench", Role.ADMIN)

NATIONAL_SQL_TALLY = """
SELECT w.organisation_id, t.item_id,
       CASE WHEN t.value <= 3 THEN 0 WHEN t.value <= 6 THEN 1 ELSE 2 END AS band,
       SUM(t.n)
FROM closed_wave_tally t JOIN wave w ON w.id = t.wave_id
GROUP BY w.organisation_id, t.item_id, band
"""
TEAM_MEAN_SQL_TALLY = """
SELECT team_id, item_id, SUM(value * n) * 1.0 / SUM(n) FROM answer_tally
GROUP BY team_id, item_id
"""
NATIONAL_SQL_RAW = """
SELECT w.organisation_id, a.item_id,
       CASE WHEN a.value <= 3 THEN 0 WHEN a.value <= 6 THEN 1 ELSE 2 END AS band, COUNT(*)
FROM answer a JOIN response r ON r.id = a.response_id JOIN wave w ON w.id = r.wave_id
GROUP BY w.organisation_id, a.item_id, band
"""
TEAM_MEAN_SQL_RAW = """
SELECT r.team_id, a.item_id, AVG(a.value) FROM answer a JOIN response r ON r.id = a.response_id
GROUP BY r.team_id, a.item_id
"""


T = TypeVar("T")


def timed(function: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """The median seconds of ``repeat`` calls (at least one), and the last call's result."""
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def line(name: str, ours: float, reference: float | None, unit: str = "s", note: str = "") -> None:
    ratio = f"{ours / reference:6.2f}x" if reference else "      "
    ref = f"{reference:10.3f} {unit}" if reference is not None else " " * 12
    print(f"{name:<58} {ours:10.3f} {unit}  ref {ref}  {ratio}  {note}", flush=True)


def duckdb_copy(connection: sqlite3.Connection, tables: dict[str, str]) -> tuple[Any, float]:
    """An in-memory DuckDB (2 threads) holding ``columns`` of each SQLite table: the
    reference engine over the same raw rows; returns it and the seconds the copy took."""
    import duckdb
    import pyarrow as pa

    duck = duckdb.connect()
    duck.execute("SET threads TO 2")
    started = time.perf_counter()
    for table, columns in tables.items():
        data = connection.execute(f"SELECT {columns} FROM {table}").fetchall()  # noqa: S608
        names = [c.strip() for c in columns.split(",")]
        arrays: list[Sequence[Any]] = list(zip(*data, strict=True)) if data else [[] for _ in names]
        duck.register(f"{table}_arrow", pa.table(dict(zip(names, arrays, strict=True))))
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_arrow")
    return duck, time.perf_counter() - started


def national_aggregates(path: Path) -> None:
    print("\n== National aggregates (share per band per item per authority; mean per team)")
    # Ours, cold: a fresh process-level connection and a dropped page cache is not possible
    # without root tricks; a fresh connection in a new process is the honest "cold" here.
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3,time,sys;c=sqlite3.connect(sys.argv[1]);t=time.perf_counter();"
                f"c.execute('''{NATIONAL_SQL_TALLY}''').fetchall();print(time.perf_counter()-t)"
            ),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cold_seconds = float(cold.stdout.strip())
    connection = sqlite3.connect(path)
    warm_band, rows = timed(lambda: connection.execute(NATIONAL_SQL_TALLY).fetchall(), 5)
    warm_mean, _ = timed(lambda: connection.execute(TEAM_MEAN_SQL_TALLY).fetchall(), 5)
    answers = connection.execute("SELECT COUNT(*) FROM answer").fetchone()[0]
    tally_rows = connection.execute("SELECT COUNT(*) FROM closed_wave_tally").fetchone()[0]
    raw_band, _ = timed(lambda: connection.execute(NATIONAL_SQL_RAW).fetchall(), 1)

    # DuckDB (2 threads) over the same raw rows, loaded into memory first.
    duck, load_seconds = duckdb_copy(
        connection,
        {
            "answer": "response_id, item_id, value",
            "response": "id, wave_id, team_id",
            "wave": "id, organisation_id",
        },
    )
    duck_band, duck_rows = timed(lambda: duck.execute(NATIONAL_SQL_RAW).fetchall(), 5)
    duck_mean, _ = timed(lambda: duck.execute(TEAM_MEAN_SQL_RAW).fetchall(), 5)
    assert sorted(rows) == sorted(duck_rows), "tallies and raw rows disagree"
    print(
        f"   {answers:,} answer rows; {tally_rows:,} tally rows; DuckDB load {load_seconds:.1f} s"
    )
    line("band shares per item per authority, cold (new process)", cold_seconds, duck_band)
    line("band shares per item per authority, warm", warm_band, duck_band)
    line("mean per team per item, warm", warm_mean, duck_mean)
    line("  (same query over raw rows in SQLite, for contrast)", raw_band, duck_band)


# The same two national questions, over the raw diary rows (DuckDB and the contrast line)
# and over the totals sealed when each period closed (what the app reads).
DIARY_SQL_ACTIVITY = """
SELECT pe.organisation_id, e.activity, SUM(e.minutes)
FROM diary_entry e JOIN diary_participant p ON p.id = e.participant_id
JOIN diary_period pe ON pe.id = p.period_id
GROUP BY pe.organisation_id, e.activity
"""
DIARY_SQL_TEAM_DIRECT = """
SELECT p.team_id, p.period_id,
       SUM(CASE WHEN e.activity IN ('direct_child', 'direct_family') THEN e.minutes ELSE 0 END),
       SUM(e.minutes)
FROM diary_entry e JOIN diary_participant p ON p.id = e.participant_id
GROUP BY p.team_id, p.period_id
"""
DIARY_SQL_ACTIVITY_SEALED = """
SELECT pe.organisation_id, t.activity, SUM(t.minutes)
FROM diary_period_activity_total t JOIN diary_period pe ON pe.id = t.period_id
GROUP BY pe.organisation_id, t.activity
"""
DIARY_SQL_TEAM_DIRECT_SEALED = """
SELECT team_id, period_id, SUM(direct_minutes), SUM(minutes)
FROM diary_worker_total GROUP BY team_id, period_id HAVING SUM(minutes) > 0
"""


def diary_aggregates(path: Path) -> None:
    print("\n== Time diaries: national aggregates over raw diary rows")
    connection = sqlite3.connect(path)
    rows = connection.execute("SELECT COUNT(*) FROM diary_entry").fetchone()[0]
    if not rows:
        print("   no diary rows (generate with diary periods)")
        return
    sealed = {
        table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in ("diary_period_activity_total", "diary_activity_total", "diary_worker_total")
    }
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3,time,sys;c=sqlite3.connect(sys.argv[1]);t=time.perf_counter();"
                "c.execute(sys.argv[2]).fetchall();print(time.perf_counter()-t)"
            ),
            str(path),
            DIARY_SQL_ACTIVITY_SEALED,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ours_activity, activity_rows = timed(
        lambda: connection.execute(DIARY_SQL_ACTIVITY_SEALED).fetchall(), 3
    )
    ours_team, team_rows = timed(
        lambda: connection.execute(DIARY_SQL_TEAM_DIRECT_SEALED).fetchall(), 3
    )
    raw_activity, raw_activity_rows = timed(
        lambda: connection.execute(DIARY_SQL_ACTIVITY).fetchall(), 1
    )
    duck, load_seconds = duckdb_copy(
        connection,
        {
            "diary_entry": "participant_id, activity, minutes",
            "diary_participant": "id, period_id, team_id",
            "diary_period": "id, organisation_id",
        },
    )
    duck_activity, duck_activity_rows = timed(
        lambda: duck.execute(DIARY_SQL_ACTIVITY).fetchall(), 3
    )
    duck_team, duck_team_rows = timed(lambda: duck.execute(DIARY_SQL_TEAM_DIRECT).fetchall(), 3)
    for ours_rows in (activity_rows, raw_activity_rows):
        assert sorted(ours_rows) == sorted(duck_activity_rows), "SQLite and DuckDB disagree"
    assert sorted(team_rows) == sorted(duck_team_rows), "SQLite and DuckDB disagree"
    print(
        f"   {rows:,} raw diary rows; sealed rows: "
        + ", ".join(f"{table} {count:,}" for table, count in sealed.items())
        + f"; DuckDB load {load_seconds:.1f} s"
    )
    line(
        "minutes per activity per authority, sealed totals, cold (new process)",
        float(cold.stdout.strip()),
        duck_activity,
    )
    line("minutes per activity per authority, sealed totals, warm", ours_activity, duck_activity)
    line("direct share per team per period, sealed totals, warm", ours_team, duck_team)
    line("(contrast) minutes per activity per authority over raw rows", raw_activity, duck_activity)

    from sqlalchemy import text

    from sos_workforce.diaries import compare_with_others, time_use_report

    database = Database(make_engine(f"sqlite:///{path}"))
    with database.read() as session:
        period_id = session.execute(text("SELECT MAX(id) FROM diary_period")).scalar_one()
    t_report, _ = timed(lambda: time_use_report(database, ADMIN, period_id, 5), 10)
    line(
        "one authority's time-use report (one diary week)",
        t_report * 1000,
        50,
        "ms",
        "target <= 50 ms",
    )
    t_compare, compared = timed(lambda: compare_with_others(database, ADMIN, period_id, 5), 10)
    line(
        f"one authority's time use against {compared[0].others.contributors} others",
        t_compare * 1000,
        50,
        "ms",
        "target <= 50 ms",
    )


def one_authority(db: Database) -> None:
    print("\n== One-authority dashboard queries (median of 20)")
    with db.read() as session:
        from sqlalchemy import text

        wave_id = session.execute(text("SELECT MAX(id) FROM wave")).scalar_one()
    t_counts, counts = timed(lambda: load_wave_counts(db, ADMIN, wave_id), 20)
    line("load wave counts (tallies)", t_counts * 1000, 50, "ms", "target <= 50 ms")
    t_tables, _ = timed(lambda: counts.tables_for(WHOLE_WAVE, 5), 20)
    line("band tables with disclosure control", t_tables * 1000, 50, "ms")
    t_heat, _ = timed(lambda: team_heatmap(counts, 5), 20)
    line("team heatmap (complementary suppression per item)", t_heat * 1000, 50, "ms")
    cpu_start = time.process_time()
    t_bench, _ = timed(lambda: benchmark_wave(db, ADMIN, wave_id, 5), 5)
    cpu_bench = (time.process_time() - cpu_start) / 5
    line(
        "benchmark against all other authorities",
        t_bench * 1000,
        50,
        "ms",
        f"{cpu_bench * 1000:.0f} ms of CPU time (mean)",
    )


def submissions(url: str, label: str, writers: int = 32, per_writer: int = 125) -> None:
    from sos_workforce import surveys
    from sos_workforce.access import organisations
    from sos_workforce.core.errors import LinkRefused
    from sos_workforce.surveys import load_instrument_file, register

    database = Database(
        make_engine(url, pool_size=writers, max_overflow=0)
        if not url.startswith("sqlite")
        else make_engine(url)
    )
    with database.write() as session:
        version = register(
            session, load_instrument_file(ROOT / "surveys" / "sos_confidence.yaml")
        ).id
    code = f"load-{int(time.time() * 1000) % 10_000_000}"
    org = organisations.create_organisation(database, None, f"Load {code}", code, bootstrap=True)
    teams = [
        organisations.create_team(database, None, org, f"Team {n}", bootstrap=True)
        for n in range(4)
    ]
    from sos_workforce.access import create_user, sign_in

    create_user(
        database,
        email=f"{code}@bench.example",
        display_name="Bench",
        role=Role.ADMIN,
        password="bench-password-long",
        bootstrap=True,
    )
    lead = sign_in(database, f"{code}@bench.example", "bench-password-long")
    today = dt.date.today()
    launched = surveys.launch_wave(
        database,
        lead,
        organisation_id=org,
        instrument_version_id=version,
        title="Load",
        opens_on=today,
        closes_on=today,
        headcounts=dict.fromkeys(teams, writers * per_writer // len(teams)),
        base_url="http://x",
    )
    surveys.enable_links_file(database, lead, launched.wave_id)  # lead is an administrator
    links = surveys.issue_links_file(database, lead, launched.wave_id, base_url="http://x")
    tokens = [link.url.rsplit("t=", 1)[1] for link in links]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(chunk: list[str]) -> None:
        for token in chunk:
            try:
                surveys.submit_response(database, token, {"understanding": 7, "integration": 5})
                result = "stored"
            except LinkRefused:
                result = "refused"
            except Exception as error:  # noqa: BLE001 - counted and reported
                result = "locked" if "locked" in str(error) else f"error:{type(error).__name__}"
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=worker, args=(tokens[i::writers],)) for i in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    with database.read() as session:
        from sqlalchemy import func, select

        from sos_workforce.core.models import PendingResponse, Response

        # Stored: released into the results, or waiting in the pool for a team's next step.
        stored = sum(
            int(
                session.scalar(
                    select(func.count()).select_from(model).where(model.wave_id == launched.wave_id)
                )
                or 0
            )
            for model in (Response, PendingResponse)
        )
    rate = len(tokens) / seconds
    lost = outcomes["stored"] - int(stored or 0)
    print(f"\n== Submissions, {writers} writers, {label}")
    line(
        f"submissions per second ({len(tokens)} links)",
        rate,
        1500 if label == "SQLite" else 1000,
        "/s",
        f"acknowledged {outcomes['stored']}, in database {stored}, lost {lost}, "
        f"duplicated {max(0, int(stored or 0) - len(tokens))}, other outcomes "
        f"{ {k: v for k, v in outcomes.items() if k != 'stored'} }",
    )
    database.dispose()


def import_speed(rows: int = 200_000) -> None:
    from sos_workforce.core.exports import csv_bytes
    from sos_workforce.core.tabular import parse_rows, read_table
    from sos_workforce.workforce import ROSTER_COLUMNS

    print(f"\n== Import: {rows:,} roster rows, parsed and validated")
    data = csv_bytes(
        [c.label for c in ROSTER_COLUMNS],
        (
            [
                f"S{i:07d}",
                f"Team {i % 300}",
                "Social worker",
                "permanent",
                "1.0",
                "01/09/2020",
                "",
                "",
                "12",
                "3",
            ]
            for i in range(rows)
        ),
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    table = read_table(data, "bench.csv")
    parsed = parse_rows(table, {c.name: c.label for c in ROSTER_COLUMNS}, ROSTER_COLUMNS)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert len(parsed) == rows
    # CPU time too: on 2 shared cores the wall time mostly measures the other processes.
    line(
        "validated rows per second",
        rows / seconds,
        200_000,
        "rows/s",
        f"target >= 200k/s; {rows / cpu:,.0f} rows/s of CPU time",
    )


def export_speed(path: Path, rows: int = 1_000_000) -> None:
    print(f"\n== Export: {rows:,} answer rows to CSV, streamed")
    code = (
        "import sqlite3,sys,time;sys.path.insert(0,sys.argv[2])\n"
        "from sos_workforce.exports import iter_csv\n"
        "c=sqlite3.connect(sys.argv[1]);t=time.perf_counter();n=0\n"
        f"cur=c.execute('SELECT response_id,item_id,value FROM answer LIMIT {rows}')\n"
        "out=open('/dev/null','wb')\n"
        "for chunk in iter_csv(['response','item','value'], cur): out.write(chunk); n+=len(chunk)\n"
        # VmHWM (peak RSS) is reset by exec, unlike ru_maxrss, which keeps the parent's.
        "hwm=[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(time.perf_counter()-t, int(hwm)/1024, n)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_mb, size = result.stdout.split()
    line("export time", float(seconds), 10, "s", f"{int(size) / 1e6:.0f} MB written")
    line("export peak memory (whole process)", float(peak_mb), 300, "MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "sos-national.db")
    parser.add_argument("--generate", action="store_true")
    parser.add_argument(
        "--only-diaries", action="store_true", help="run only the time-diary benchmarks"
    )
    parser.add_argument(
        "--only-submissions",
        action="store_true",
        help="run only the submission benchmarks (SQLite, and PostgreSQL with --postgres)",
    )
    parser.add_argument(
        "--only-dashboard",
        action="store_true",
        help="run only the one-authority dashboard queries (after --generate, if given)",
    )
    parser.add_argument("--postgres", default=os.environ.get("SOS_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    if args.generate:
        from sos_workforce.devdata import PRESETS, generate_synthetic

        args.db.unlink(missing_ok=True)
        upgrade(url)
        # progress given by name: else mypy takes the preset's ints as possible callbacks.
        report = generate_synthetic(
            Database(make_engine(url)), progress=None, **PRESETS["national"]
        )
        rows = report.answers + report.diary_entries
        print(
            f"Generated {report.answers:,} answers and {report.diary_entries:,} diary rows "
            f"in {report.seconds:.0f} s ({rows / report.seconds:,.0f} rows/s)"
        )
    if args.only_diaries:
        diary_aggregates(args.db)
        return
    if args.only_dashboard:
        one_authority(Database(make_engine(url)))
        return
    if not args.only_submissions:
        national_aggregates(args.db)
        diary_aggregates(args.db)
        one_authority(Database(make_engine(url)))
    with tempfile.TemporaryDirectory() as folder:
        small = f"sqlite:///{folder}/load.db"
        upgrade(small)
        submissions(small, "SQLite")
    if args.postgres:
        from sqlalchemy import create_engine, text

        from sos_workforce.core.config import Settings

        server = Settings(database_url=args.postgres).database_url
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"sos_bench_{os.getpid()}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        target = server.rsplit("/", 1)[0] + f"/{name}"
        try:
            upgrade(target)
            submissions(target, "PostgreSQL")
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    if args.only_submissions:
        return
    import_speed()
    export_speed(args.db)
    print(
        f"\npeak memory of this benchmark process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
