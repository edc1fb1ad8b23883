"""Benchmark: import every DfE sample file (children in need, referrals, child protection
plans, children looked after, ONS population, the workforce census and the statistical-
neighbour model) into a fresh database, through the service the Outcomes page calls.

    .venv/bin/python bench/dfe_import.py [--dir tests/data/dfe] [--postgres URL] [--repeat 3]

Target (issue 21): importing all the sample files takes at most 10 s. Also times the same
files again (a no-op by checksum) and one authority's outcome report (Brent, 6 indicators,
its 10 neighbours, London and England).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sos_workforce.access import auth, create_organisation  # noqa: E402
from sos_workforce.core.config import Settings  # noqa: E402
from sos_workforce.core.db import Database, make_engine, upgrade  # noqa: E402
from sos_workforce.core.enums import Role  # noqa: E402
from sos_workforce.dfe import import_dfe_file  # noqa: E402
from sos_workforce.outcomes import outcome_report  # noqa: E402

TARGET_SECONDS = 10.0


def run_once(url: str, files: list[Path]) -> tuple[float, dict[str, float], float, float, int]:
    """(total import seconds, seconds per file, same files again, report seconds, figures)."""
    upgrade(url)
    db = Database(make_engine(url))
    auth.create_user(
        db,
        email="bench.admin@example.org",
        display_name="Bench",
        role=Role.ADMIN,
        password="a long unusual phrase",
        bootstrap=True,
    )
    admin = auth.sign_in(db, "bench.admin@example.org", "a long unusual phrase")
    brent = create_organisation(
        db, admin, "Brent Council", "brent", old_la_code="304", new_la_code="E09000005"
    )
    per_file: dict[str, float] = {}
    figures = 0
    started = time.perf_counter()
    for path in files:
        began = time.perf_counter()
        with path.open("rb") as stream:  # as the page passes an upload: a stream
            result = import_dfe_file(db, admin, path.name, stream)
        per_file[path.name] = time.perf_counter() - began
        figures += result.figures
    total = time.perf_counter() - started
    began = time.perf_counter()
    for path in files:
        with path.open("rb") as stream:
            assert not import_dfe_file(db, admin, path.name, stream).created
    again = time.perf_counter() - began
    began = time.perf_counter()
    report = outcome_report(db, admin, brent)
    report_seconds = time.perf_counter() - began
    assert len(report.indicators) == 6 and not report.missing, report.missing
    db.dispose()
    return total, per_file, again, report_seconds, figures


def fresh_postgres(server_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    server = Settings(database_url=server_url).database_url
    name = f"sos_bench_dfe_{os.getpid()}_{time.monotonic_ns() % 100_000}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(
        Settings(database_url=server_url).database_url, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report(backend: str, runs: list[tuple[float, dict[str, float], float, float, int]]) -> bool:
    totals = [run[0] for run in runs]
    worst = max(totals)
    print(f"\n{backend}: {len(runs)} run(s), {runs[0][4]:,} figures from {len(runs[0][1])} files")
    for name in runs[0][1]:
        print(f"  {name:<66} {statistics.median(r[1][name] for r in runs):6.2f} s")
    print(
        f"  all files: median {statistics.median(totals):.2f} s, worst {worst:.2f} s "
        f"(target ≤ {TARGET_SECONDS:.0f} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'})"
    )
    print(f"  the same files again (no-op): {statistics.median(r[2] for r in runs):.2f} s")
    print(f"  Brent's outcome report: {statistics.median(r[3] for r in runs) * 1000:.0f} ms")
    return worst <= TARGET_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=ROOT / "tests" / "data" / "dfe")
    parser.add_argument("--postgres", default=os.environ.get("SOS_TEST_POSTGRES_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.dir.glob("*.csv"))
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB, in {args.dir}")
    try:
        load = os.getloadavg()[0]
        print(f"load average at start: {load:.1f} on {os.cpu_count()} cores")
    except OSError:
        pass
    met = True
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(run_once(f"sqlite:///{folder}/dfe.db", files))
    met &= report("SQLite", runs)
    if args.postgres:
        runs = []
        for _ in range(args.repeat):
            url, name = fresh_postgres(args.postgres)
            try:
                runs.append(run_once(url, files))
            finally:
                drop_postgres(args.postgres, name)
        met &= report("PostgreSQL", runs)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
