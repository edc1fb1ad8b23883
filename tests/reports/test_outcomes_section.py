"""The scrutiny report's Outcomes section (its own template): Brent's figures from DfE's real
files beside the implementation, each chart with alt text and its numbers in a table, the
caution, and the source; without LA codes it says what is missing."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from sos_workforce import surveys
from sos_workforce.access import set_la_codes
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.profiling import set_timeline
from sos_workforce.reports import scrutiny_report
from tests.support.dfe import CHILDREN_IN_NEED, NEIGHBOURS, PLANS, POPULATION, import_real
from tests.support.factories import build_world, launch, token_of


class _Section(HTMLParser):
    """The tags and text of the Outcomes section only."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.depth = 0
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and ("aria-labelledby", "outcomes") in attrs:
            self.inside = True
        if self.inside:
            self.tags.append((tag, dict(attrs)))
            if tag == "section":
                self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "section":
            self.depth -= 1
            self.inside = self.depth > 0

    def handle_data(self, data: str) -> None:
        if self.inside and data.strip():
            self.text.append(data.strip())


def _report(db: Database, settings: Settings, *, with_codes: bool) -> _Section:
    world = build_world(db, settings, code="brent")
    if with_codes:
        set_la_codes(
            db, world.admin, world.organisation_id, old_la_code="304", new_la_code="E09000005"
        )
    set_timeline(
        db,
        world.lead,
        world.organisation_id,
        sos_start_date=dt.date(2014, 9, 1),
        phase_starts={},
    )
    import_real(db, world.admin, CHILDREN_IN_NEED, POPULATION, PLANS, NEIGHBOURS)
    launched = launch(db, world, {"Alpha": 6})
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"understanding": 8})
    html = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    section = _Section()
    section.feed(html)
    return section


def test_the_outcomes_section_shows_brent_beside_its_neighbours_and_england(
    db: Database, settings: Settings
) -> None:
    section = _report(db, settings, with_codes=True)
    text = " ".join(section.text)
    assert ("h2", {"id": "outcomes"}) in section.tags
    assert "Association, not effect." in text and "What Works Centre" in text
    assert "Fictional" not in text
    # Three indicators from the files imported (children in need, child protection plans
    # starting, second or subsequent plans); referrals and looked after are not imported.
    assert len([tag for tag, _ in section.tags if tag == "h3"]) == 3
    assert "Not imported yet: children_looked_after, referrals." in text
    # 2016-17 children in need: 5,098 / 76,085 × 10,000 = 670.0; England 692,880 /
    # 11,671,521 × 10,000 = 593.7 (the row in the table beside the chart).
    assert re.search(r"2016-17 670\.0 5,098 76,085 [\d.]+ 10 of 10 639\.9 593\.7", text)
    # 2016-17 second or subsequent plans: 12.4% (41 of 330), neighbours 14.6%, London
    # 14.8%, England 18.7%.
    assert "2016-17 12.4% 41 330 14.6% 10 of 10 14.8% 18.7%" in text
    # England 2024-25 (d3, published): 24.5%.
    assert re.search(
        r"Second or subsequent child protection plans: Brent Council 14\.8% in 2024-25 "
        r"\(statistical neighbours [\d.]+%, London [\d.]+%, England 24\.5%\)\.",
        text,
    )
    assert "From 2013-14, the last year before Signs of Safety started (1 September 2014)" in text
    images = [attrs for tag, attrs in section.tags if attrs.get("role") == "img"]
    assert len(images) == 3 and all(attrs.get("aria-label") for attrs in images)
    assert sum(1 for tag, _ in section.tags if tag == "caption") == 3
    assert "Open Government Licence v3.0" in text
    assert "Statistical neighbours (DfE's model): Ealing (close), Newham (close)" in text


def test_without_la_codes_the_section_says_what_is_missing(
    db: Database, settings: Settings
) -> None:
    section = _report(db, settings, with_codes=False)
    text = " ".join(section.text)
    assert "Association, not effect." in text
    assert "This organisation has no DfE LA codes yet." in text
    assert not [tag for tag, _ in section.tags if tag in {"h3", "table", "figure"}]
