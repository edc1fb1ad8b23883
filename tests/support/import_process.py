"""Helper process for the crash test: import a roster file, optionally stopping inside
the write transaction once every member row has been written (but not committed), so the
test can kill the process at that exact point."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from sos_workforce.access.auth import Actor
from sos_workforce.core.db import Database, make_engine
from sos_workforce.core.enums import Role
from sos_workforce.workforce.rosters import import_roster


def main() -> None:
    url, actor_json, roster_path, as_of = sys.argv[1:5]
    pause = "--pause-in-transaction" in sys.argv[5:]
    engine = make_engine(url)
    if pause:

        @event.listens_for(engine, "after_cursor_execute")
        def _hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO ROSTER_MEMBER"):
                print(f"written {cursor.rowcount}", flush=True)
                time.sleep(120)  # the test kills us here, before the commit

    fields = json.loads(actor_json)
    actor = Actor(
        fields["user_id"],
        fields["email"],
        fields["display_name"],
        Role(fields["role"]),
        frozenset(fields["organisation_ids"]),
    )
    print("importing", flush=True)
    result = import_roster(
        Database(engine),
        actor,
        fields["organisation_ids"][0],
        data=Path(roster_path).read_bytes(),
        filename="roster.csv",
        as_of=dt.date.fromisoformat(as_of),
    )
    print(f"imported {result.rows}", flush=True)


if __name__ == "__main__":
    main()
