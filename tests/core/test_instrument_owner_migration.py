"""Migration 0029 on a populated SQLite database: instruments gain their owner in place
(nothing of their versions, waves or forms is lost: a table rebuild with foreign keys on
would have cascaded), and the existing instruments are given owners as its docstring says:
an uploaded instrument belongs to the one organisation using it (or, unused, to its
uploading lead's one organisation); shipped ones, ones several organisations use and ones
whose owner cannot be told stay in the shared library."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from sos_workforce.core.db import make_engine, upgrade

A, B = 1, 2
LEAD_OF_A, ADMIN, LEAD_OF_BOTH = 1, 2, 3
# code: (versions as (version, uploader or None for a shipped version), waves' and
# feedback forms' organisations, expected owner)
INSTRUMENTS: dict[str, tuple[list[tuple[int, int | None]], list[int], list[int], int | None]] = {
    "shipped": ([(1, None)], [A, B], [], None),
    "used_by_a": ([(1, LEAD_OF_BOTH)], [A, A], [], A),
    "unused_of_a_lead": ([(1, LEAD_OF_A)], [], [], A),
    "unused_of_admin": ([(1, ADMIN)], [], [], None),
    "used_by_both": ([(1, LEAD_OF_A)], [A, B], [], None),
    "shipped_then_uploaded": ([(1, None), (2, LEAD_OF_A)], [], [], None),
    "form_of_b": ([(1, LEAD_OF_BOTH)], [], [B], B),
    "unused_ambiguous": ([(1, LEAD_OF_BOTH)], [], [], None),
}


def test_existing_instruments_get_their_owners_and_keep_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'populated.db'}"
    upgrade(url, "0028")
    engine = make_engine(url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:

        def run(sql: str, **values: object) -> None:
            connection.execute(text(sql), values)

        for org, name in ((A, "Alphaby"), (B, "Betaby")):
            run(
                "INSERT INTO organisation (id, name, code, created_at) VALUES (:i, :n, :c, :t)",
                i=org,
                n=f"{name} Council",
                c=name.lower(),
                t=now,
            )
        for user, role, memberships in (
            (LEAD_OF_A, "lead", [A]),
            (ADMIN, "admin", []),
            (LEAD_OF_BOTH, "lead", [A, B]),
        ):
            run(
                "INSERT INTO user_account (id, email, display_name, role, is_active, "
                "failed_login_count, created_at) VALUES (:i, :e, 'U', :r, 1, 0, :t)",
                i=user,
                e=f"u{user}@x.example",
                r=role,
                t=now,
            )
            for org in memberships:
                run(
                    "INSERT INTO membership (user_id, organisation_id) VALUES (:u, :o)",
                    u=user,
                    o=org,
                )
        version_id = wave_id = form_id = 0
        for instrument_id, (code, (versions, waves, forms, _)) in enumerate(
            INSTRUMENTS.items(), start=1
        ):
            run(
                "INSERT INTO instrument (id, code, title) VALUES (:i, :c, :c)",
                i=instrument_id,
                c=code,
            )
            for version, uploader in versions:
                version_id += 1
                run(
                    "INSERT INTO instrument_version (id, instrument_id, version, checksum, "
                    "definition, created_at) VALUES (:v, :i, :n, 'x', '{}', :t)",
                    v=version_id,
                    i=instrument_id,
                    n=version,
                    t=now,
                )
                if uploader is not None:
                    run(
                        "INSERT INTO audit_event (occurred_at, actor_user_id, action, target) "
                        "VALUES (:t, :u, 'instrument_published', :g)",
                        t=now,
                        u=uploader,
                        g=f"instrument:{code}:v{version}",
                    )
            for org in waves:
                wave_id += 1
                run(
                    "INSERT INTO wave (id, organisation_id, instrument_version_id, title, "
                    "status, opens_on, closes_on, allow_identified, created_at) VALUES "
                    "(:w, :o, :v, :n, 'closed', '2026-01-01', '2026-01-08', 0, :t)",
                    w=wave_id,
                    o=org,
                    v=version_id,
                    n=f"Wave {wave_id}",
                    t=now,
                )
            for org in forms:
                form_id += 1
                run(
                    "INSERT INTO feedback_form (id, organisation_id, instrument_version_id, "
                    "release_step, created_at) VALUES (:f, :o, :v, 5, :t)",
                    f=form_id,
                    o=org,
                    v=version_id,
                    t=now,
                )
    engine.dispose()

    upgrade(url)

    engine = make_engine(url)
    with engine.begin() as connection:
        owners: dict[str, int | None] = {}
        for code, owner in connection.execute(text("SELECT code, organisation_id FROM instrument")):
            owners[code] = owner
        counts = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("instrument_version", "wave", "feedback_form")
        ]
    engine.dispose()
    assert owners == {code: spec[3] for code, spec in INSTRUMENTS.items()}
    assert counts == [version_id, wave_id, form_id] == [9, 6, 1]
