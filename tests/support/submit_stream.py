"""Helper process for the crash test: submit responses through the given links one by
one, printing each link's position once its response is committed (acknowledged)."""

from __future__ import annotations

import sys

from sos_workforce.core.db import Database, make_engine
from sos_workforce.surveys.responses import submit_response


def main() -> None:
    url, links_file = sys.argv[1], sys.argv[2]
    database = Database(make_engine(url))
    tokens = open(links_file, encoding="utf-8").read().split()  # noqa: SIM115
    for index, token in enumerate(tokens):
        submit_response(database, token, {"understanding": 1 + index % 10})
        print(index, flush=True)


if __name__ == "__main__":
    main()
