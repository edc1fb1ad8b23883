"""The ``sos-workforce`` command: run the app, seed the demo, migrate, manage accounts."""

from __future__ import annotations

import contextlib
import os
import subprocess  # noqa: S404 - runs streamlit with fixed arguments
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sos_workforce.access import streamlit_arguments
from sos_workforce.core.config import PROJECT_ROOT, get_settings
from sos_workforce.core.db import Database, current_revisions, upgrade
from sos_workforce.core.errors import SosError
from sos_workforce.dfe import MAX_FILE_BYTES as DFE_MAX_FILE_BYTES
from sos_workforce.startup import prepare_database

app = typer.Typer(
    help="sos-workforce: run and measure a Signs of Safety implementation.", no_args_is_help=True
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations and teams.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")

Port = Annotated[int, typer.Option(help="Port for the web app.")]


def _database() -> Database:
    return prepare_database(get_settings())


def _serve(port: int, extra_env: dict[str, str] | None = None) -> None:
    settings = get_settings()
    typer.echo(
        f"Starting sos-workforce on {settings.listen_address} port {port}: "
        f"http://localhost:{port}  (Ctrl+C to stop)"
    )
    command = [
        sys.executable,
        str(PROJECT_ROOT / "serve.py"),  # decides st.navigation routing before any request
        "run",
        str(PROJECT_ROOT / "asgi.py"),  # app.py inside st.App: sign-in routes, headers
        "--server.port",
        str(port),
        "--server.address",
        settings.listen_address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Streamlit refuses a larger upload before holding it (the DfE files' and the
        # CSV/XLSX imports' limits; the readers check the rest).
        "--server.maxUploadSize",
        str(-(-max(DFE_MAX_FILE_BYTES, settings.upload_max_bytes) // (1024 * 1024))),
        *streamlit_arguments(settings),
    ]
    env = {**os.environ, **(extra_env or {})}
    env.setdefault("SOS_BASE_URL", settings.base_url)
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(command, check=False, env=env, cwd=PROJECT_ROOT)  # noqa: S603


@app.command()
def run(port: Port = 8501) -> None:
    """Migrate the database and start the web app."""
    _database().dispose()
    _serve(port)


@app.command()
def demo(
    port: Port = 8501,
    serve: Annotated[bool, typer.Option(help="Start the app after seeding.")] = True,
) -> None:
    """Seed the fictional Northbridge authority (once), print sign-ins, start the app."""
    from sos_workforce.devdata import DIARY_LINKS_FILE, RATER_LINKS_FILE, seed_demo

    settings = get_settings()
    database = _database()
    with typer.progressbar(length=1, label="Seeding demo data") as progress:
        summary = seed_demo(database, settings)
        progress.update(1)
    database.dispose()
    typer.echo("Demo data " + ("created." if summary.created else "already present."))
    typer.echo("Sign in with:")
    for role, (email, password) in summary.credentials.items():
        typer.echo(f"  {role.value:<10} {email}  /  {password}")
    links_file = settings.data_dir / "demo-open-wave-links.csv"
    if links_file.exists():
        typer.echo(f"Unused staff links for the open wave: {links_file}")
    rater_links_file = settings.data_dir / RATER_LINKS_FILE
    if rater_links_file.exists():
        typer.echo(f"Unused rater links for the open self-profiling round: {rater_links_file}")
    diary_links_file = settings.data_dir / DIARY_LINKS_FILE
    if diary_links_file.exists():
        typer.echo(f"Unused time-diary links for the open diary week: {diary_links_file}")
    if serve:
        _serve(port, {"SOS_DEMO": "true"})


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    settings = get_settings()
    upgrade(settings.resolved_database_url)
    revisions = ", ".join(sorted(current_revisions(settings.resolved_database_url)))
    typer.echo(f"Database is at revision {revisions}.")


@app.command()
def generate(
    preset: Annotated[
        str, typer.Option(help="small or national; other options override it.")
    ] = "small",
    orgs: Annotated[int | None, typer.Option(help="Synthetic authorities to add.")] = None,
    staff: Annotated[int | None, typer.Option(help="Staff across all of them.")] = None,
    waves: Annotated[int | None, typer.Option(help="Closed waves per authority.")] = None,
    items: Annotated[int | None, typer.Option(help="Statements in the survey.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Add synthetic authorities, waves and answers (for benchmarks and load tests)."""
    from sos_workforce.devdata import PRESETS, generate_synthetic

    if preset not in PRESETS:
        raise typer.BadParameter(f"preset must be one of {', '.join(PRESETS)}")
    chosen = dict(PRESETS[preset])
    for name, value in (("orgs", orgs), ("staff", staff), ("waves", waves), ("items", items)):
        if value is not None:
            if value < 1:
                raise typer.BadParameter(f"--{name} must be at least 1")
            chosen[name] = value
    database = _database()
    with typer.progressbar(length=100, label="Generating") as bar:
        done = 0

        def advance(share: float) -> None:
            nonlocal done
            step = int(share * 100) - done
            bar.update(step)
            done += step

        report = generate_synthetic(database, seed=seed, progress=advance, **chosen)
    typer.echo(
        f"Added {report.organisations} authorities, {report.teams} teams, {report.waves} "
        f"waves, {report.responses} responses, {report.answers} answers and "
        f"{report.diary_entries} diary entries in {report.seconds:.1f} s."
    )


@app.command("send-mail")
def send_mail(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep sending as messages become due (Ctrl+C stops).")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="With --loop: seconds to wait when nothing is due.")
    ] = 30.0,
    limit: Annotated[int, typer.Option(help="Messages claimed at a time.")] = 100,
) -> None:
    """Send the queued invitation and reminder emails (SOS_SMTP_*), once or in a loop.

    Safe to run beside the app and in several processes: each message is sent once."""
    from sos_workforce.mail import SendReport, send_due

    settings = get_settings()
    database = _database()
    total = SendReport()
    try:
        while True:
            report = send_due(database, settings, limit=limit)
            total += report
            if report.handled:
                typer.echo(
                    f"Sent {report.sent}, to try again {report.retrying}, failed {report.failed}."
                )
            if not loop:
                if not report.handled:
                    typer.echo("Nothing to send.")
                break
            if not report.handled:
                time.sleep(interval)
    except SosError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    except KeyboardInterrupt:
        typer.echo(f"Stopped. Sent {total.sent} in all, failed {total.failed}.")
    finally:
        database.dispose()


@db_app.command("purge")
def db_purge() -> None:
    """Delete raw survey responses and diary entries past each organisation's retention
    period (results, which come from the kept totals, are unchanged). Run it daily, e.g.
    from cron."""
    from sos_workforce.maintenance import purge_expired

    result = purge_expired(
        _database(),
        None,
        system=True,
        open_link_expiry_hours=get_settings().open_link_start_expiry_hours,
    )
    typer.echo(
        f"Purged {result.responses} responses and {result.comments} comments from "
        f"{result.waves} waves, and {result.diary_entries} diary entries from "
        f"{result.diary_periods} diary periods, past their retention period; "
        f"{result.open_link_starts} unfinished open-link starts expired."
    )


@db_app.command("backup")
def db_backup(
    destination: Annotated[Path, typer.Argument(help="New file to write the backup to.")],
) -> None:
    """Take a consistent copy of the SQLite database while the app runs."""
    from sos_workforce.maintenance import backup_sqlite

    try:
        written = backup_sqlite(get_settings().resolved_database_url, destination)
    except SosError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Backup written to {written} (integrity check ok).")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[str, typer.Option(help="admin, lead or executive.")],
    org: Annotated[list[str] | None, typer.Option(help="Organisation code (repeatable).")] = None,
    password: Annotated[
        str,
        typer.Option(envvar="SOS_NEW_USER_PASSWORD", help="Asked for if not given."),
    ] = "",
    sso_only: Annotated[
        bool, typer.Option(help="No password: the user signs in with single sign-on only.")
    ] = False,
) -> None:
    """Create an account (with a local password unless --sso-only)."""
    if not sso_only and not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from sqlalchemy import select

    from sos_workforce.access import create_user
    from sos_workforce.core.enums import Role
    from sos_workforce.core.models import Organisation

    database = _database()
    try:
        parsed_role = Role(role)
    except ValueError:
        raise typer.BadParameter("role must be admin, lead or executive") from None
    with database.read() as session:
        codes = org or []
        found = dict(
            session.execute(
                select(Organisation.code, Organisation.id).where(Organisation.code.in_(codes))
            ).all()
        )
    missing = sorted(set(codes) - set(found))
    if missing:
        raise typer.BadParameter(f"unknown organisation code(s): {', '.join(missing)}")
    try:
        create_user(
            database,
            email=email,
            display_name=name,
            role=parsed_role,
            password=None if sso_only else password,
            organisation_ids=list(found.values()),
            bootstrap=True,
        )
    except SosError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created {parsed_role.value} account {email.strip().lower()}.")


def _account_change(email: str, change: Callable[[Database, int], object], done: str) -> None:
    """Run an account change as whoever controls the server (audited as the system)."""
    from sos_workforce.access import account_id

    database = _database()
    try:
        change(database, account_id(database, None, email, bootstrap=True))
    except SosError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(done)


@user_app.command("deactivate")
def user_deactivate(email: str) -> None:
    """Stop an account signing in (its work and the audit trail stay)."""
    from sos_workforce.access import set_account_active

    _account_change(
        email,
        lambda db, user: set_account_active(db, None, user, active=False, bootstrap=True),
        f"Deactivated {email}.",
    )


@user_app.command("activate")
def user_activate(email: str) -> None:
    """Let a deactivated account sign in again."""
    from sos_workforce.access import set_account_active

    _account_change(
        email,
        lambda db, user: set_account_active(db, None, user, active=True, bootstrap=True),
        f"Reactivated {email}.",
    )


@user_app.command("role")
def user_role(email: str, role: str) -> None:
    """Change an account's role (admin, lead or executive)."""
    from sos_workforce.access import change_role
    from sos_workforce.core.enums import Role

    try:
        parsed = Role(role)
    except ValueError:
        raise typer.BadParameter("role must be admin, lead or executive") from None
    _account_change(
        email,
        lambda db, user: change_role(db, None, user, parsed, bootstrap=True),
        f"{email} is now {parsed.value}.",
    )


@user_app.command("orgs")
def user_orgs(
    email: str,
    org: Annotated[list[str] | None, typer.Option(help="Organisation code (repeatable).")] = None,
) -> None:
    """Set the organisations an account belongs to (replacing the earlier ones)."""
    from sqlalchemy import select

    from sos_workforce.access import set_memberships
    from sos_workforce.core.models import Organisation

    codes = org or []
    with _database().read() as session:
        found = dict(
            session.execute(
                select(Organisation.code, Organisation.id).where(Organisation.code.in_(codes))
            ).all()
        )
    missing = sorted(set(codes) - set(found))
    if missing:
        raise typer.BadParameter(f"unknown organisation code(s): {', '.join(missing)}")
    _account_change(
        email,
        lambda db, user: set_memberships(db, None, user, found.values(), bootstrap=True),
        f"{email} belongs to {', '.join(sorted(codes)) or 'no organisation'}.",
    )


@user_app.command("reset-password")
def user_reset_password(
    email: str,
    password: Annotated[
        str, typer.Option(envvar="SOS_NEW_USER_PASSWORD", help="Asked for if not given.")
    ] = "",
) -> None:
    """Set a new password for an account (and unlock it)."""
    from sos_workforce.access import reset_password

    password = password or typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    _account_change(
        email,
        lambda db, user: reset_password(db, None, user, password, bootstrap=True),
        f"Set a new password for {email}.",
    )


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Option(help="Full name of the authority.")],
    code: Annotated[str, typer.Option(help="Short code, e.g. brent.")],
    team: Annotated[list[str] | None, typer.Option(help="Team name (repeatable).")] = None,
    old_la_code: Annotated[
        str | None, typer.Option(help="DfE's 3-digit old LA code, e.g. 304.")
    ] = None,
    new_la_code: Annotated[
        str | None, typer.Option(help="The ONS code (new LA code), e.g. E09000005.")
    ] = None,
) -> None:
    """Create an organisation, optionally with top-level teams and its DfE LA codes (they
    link it to DfE's published figures on the Outcomes page)."""
    from sos_workforce.access import create_organisation, create_team

    database = _database()
    try:
        organisation_id = create_organisation(
            database,
            None,
            name,
            code,
            old_la_code=old_la_code,
            new_la_code=new_la_code,
            bootstrap=True,
        )
        for team_name in team or []:
            create_team(database, None, organisation_id, team_name, bootstrap=True)
    except SosError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created organisation {name} ({code}).")


if __name__ == "__main__":
    app()
