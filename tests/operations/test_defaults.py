"""Safe defaults (issue 18, point 8): the server listens on loopback unless told otherwise;
the database, its WAL, backups and link files are created readable by their owner only,
whatever the umask."""

from __future__ import annotations

import ipaddress
import os
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sos_workforce import maintenance
from sos_workforce.core.db import Database, make_engine
from sos_workforce.core.private_files import write_private_file
from tests.support.browser import free_port

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask (files 0644): the modes below must not come from it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_the_database_its_wal_and_backups_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sos.db"
    database = Database(make_engine(f"sqlite:///{path}"))
    with database.write() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    assert wal.exists() and shm.exists()  # the connection is still open
    assert {p.name: mode(p) for p in (path, wal, shm)} == {
        "sos.db": 0o600,
        "sos.db-wal": 0o600,
        "sos.db-shm": 0o600,
    }
    assert mode(path.parent) == 0o700  # the folder it made
    backup = maintenance.backup_sqlite(f"sqlite:///{path}", tmp_path / "backups" / "b.db")
    database.dispose()
    assert mode(backup) == 0o600 and mode(backup.parent) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_private_files_narrow_an_older_wider_mode(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text("old")
    links.chmod(0o644)
    write_private_file(links, b"team,link\r\n")
    assert mode(links) == 0o600 and links.read_bytes() == b"team,link\r\n"


@pytest.mark.usefixtures("open_umask")
def test_the_demo_links_files_are_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sos_workforce.cli import app
    from sos_workforce.core import config
    from sos_workforce.devdata import DIARY_LINKS_FILE, RATER_LINKS_FILE

    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--no-serve"])
    finally:
        config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    names = ["sos_workforce.db", "demo-open-wave-links.csv", RATER_LINKS_FILE, DIARY_LINKS_FILE]
    assert {name: mode(tmp_path / name) for name in names} == dict.fromkeys(names, 0o600)


def test_serve_py_defaults_to_loopback_and_always_switches_table_export_off() -> None:
    from serve import hardened_arguments

    assert hardened_arguments(["run", "app.py", "--server.port", "8501"]) == [
        "run",
        "--server.address=127.0.0.1",
        "app.py",
        "--server.port",
        "8501",
        "--client.disableDataExport=true",
    ]
    told = hardened_arguments(["run", "app.py", "--server.address", "0.0.0.0"])  # noqa: S104
    assert told == [
        "run",
        "--server.address=127.0.0.1",
        "app.py",
        "--server.address",
        "0.0.0.0",  # noqa: S104 - given later, it wins (below, in a real process)
        "--client.disableDataExport=true",
    ]
    assert hardened_arguments(["--version"]) == ["--version"]


def _listening(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net)."""
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(_decode(address))
    return found


def _decode(address: str) -> str:
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    return str(ipaddress.IPv6Address(b"".join(words)))


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net")
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [((), {"127.0.0.1"}), (("--server.address", "0.0.0.0"), {"0.0.0.0"})],  # noqa: S104
    ids=["by default", "told otherwise"],
)
def test_the_server_listens_on_loopback_unless_told_otherwise(
    tmp_path: Path, arguments: tuple[str, ...], expected: set[str]
) -> None:
    port = free_port()
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "serve.py"), "run", str(ROOT / "app.py")]
        + ["--server.port", str(port), "--server.headless", "true"]
        + ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        + list(arguments),
        cwd=tmp_path,  # away from the project's .streamlit/config.toml: serve.py decides
        env={
            **os.environ,
            "SOS_DATA_DIR": str(tmp_path),
            "SOS_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "app.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "app.log").read_text()
            time.sleep(0.2)
        assert _listening(port) == expected
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
