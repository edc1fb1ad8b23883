"""The scrutiny report: accessible structure, disclosure, escaping."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from sos_workforce import diaries, surveys
from sos_workforce.access import organisations
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.reports.scrutiny import scrutiny_report
from tests.support.factories import build_world, launch, release_all, token_of

if TYPE_CHECKING:
    from tests.support.apptest import DemoApp


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1


def test_report_is_accessible_discloses_suppression_and_escapes_text(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    hostile = organisations.create_team(
        db, world.lead, world.organisation_id, "<script>alert(1)</script>"
    )
    world.teams["hostile"] = hostile
    launched = launch(db, world, {"Alpha": 7, "Beta": 6, "hostile": 2})
    for index, link in enumerate(launched.links):
        surveys.submit_response(db, token_of(link), {"understanding": 9 if index % 3 else 3})
    release_all(db, launched.wave_id)
    html = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    parsed = _Structure()
    parsed.feed(html)
    assert parsed.scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ("html", {"lang": "en-GB"}) in parsed.tags
    images = [attrs for tag, attrs in parsed.tags if attrs.get("role") == "img"]
    assert images and all(attrs.get("aria-label") for attrs in images)
    assert sum(1 for tag, _ in parsed.tags if tag == "caption") >= 3
    assert ("th", {"scope": "row"}) in parsed.tags
    assert "15 members of staff answered" in html
    assert "still open" in html and "after every 5 new answers in a team" in html
    # The hostile team has 2 answers: withheld, and its sibling too, and the report says so.
    assert "withheld" in html and "fewer than 5" in html
    assert "Integrated into my work”: withheld" in html  # nobody answered it


def test_the_demo_report_covers_confidence_trends_retention_and_the_self_profile(
    demo_app: DemoApp,
) -> None:
    from sos_workforce.access.auth import sign_in
    from sos_workforce.core.enums import Role
    from sos_workforce.devdata.demo import DEMO_CREDENTIALS
    from tests.support.apptest import ROOT
    from tests.support.environment import make_settings

    _, demo = demo_app
    database = Database.from_settings(make_settings(demo.url, ROOT))
    executive = sign_in(database, *DEMO_CREDENTIALS[Role.EXECUTIVE])
    html = scrutiny_report(
        database, executive, demo.summary.organisation_id, demo.summary.closed_wave_id, 5
    )
    database.dispose()
    for heading in ("Progress over time", "Workforce and retention", "Time use", "Self-profile"):
        assert heading in html
    assert "Turnover" in html or "turnover" in html
    assert "Agreed scores (0–10) by domain" in html
    # Words people read: no missing values, unrounded figures or machine dates.
    text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S)))
    for pattern in (
        r"(?<![\w-])(None|nan|NaN|NaT)(?![\w-])",
        r"\d\.\d{4,}",
        r"\b\d{4}-\d{2}-\d{2}\b",
        r"\b0\d (January|February|March|April|May|June|July|August|September|October"
        r"|November|December)",
    ):
        assert not re.search(pattern, text), re.search(pattern, text)


def test_the_time_use_section_discloses_suppression_with_a_chart_and_its_table(
    db: Database, settings: Settings
) -> None:
    from tests.support.diary_factories import fill, weekdays
    from tests.support.diary_factories import launch as launch_diary

    world = build_world(db, settings)
    launched = launch(db, world, {"Alpha": 6})
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"understanding": 8})
    empty = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    assert "No time diaries yet" in empty
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(6)]
    people += [("B1", "Beta", "Social worker", 1.0), ("B2", "Beta", "Social worker", 1.0)]
    period = launch_diary(db, world, people)
    for token in period.tokens.values():
        fill(db, token, weekdays(), [("direct_child", 60), ("recording", 420), ("travel", 60)])
    html = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    section = html.split('">Time use</h2>', 1)[1].split("</section>", 1)[0]
    # 60 of 540 minutes a day: 11.1% direct; 45 hours a week against 37 contracted.
    assert "11.1% of recorded time was direct work" in section
    assert "Staff worked 45.0 hours a week on average against 37.0 contracted" in section
    assert 'role="img" aria-label="Stacked bar chart' in section
    assert "<caption>Direct and indirect time, hours worked" in section
    # Beta (2) is hidden, and so is Alpha (8 − 6 = Beta's 2 by subtraction).
    assert "Figures for 2 team(s) are withheld" in section and "Alpha, Beta" in section
    assert "comparison with other authorities is withheld" in section
    # Five other authorities close a diary week: the report compares, never naming them.
    # Direct shares 10, 20, 40, 30, 50%: median 30, quartiles 20 and 40.
    for index, direct in enumerate((30, 60, 120, 90, 150)):
        other = build_world(db, settings, f"elsewhere{index}")
        theirs = launch_diary(
            db, other, [(f"O{n}", "Alpha", "Social worker", 1.0) for n in range(5)]
        )
        for token in theirs.tokens.values():
            fill(db, token, weekdays(), [("direct_family", direct), ("recording", 300 - direct)])
        diaries.close_period(db, other.lead, theirs.period_id)
    html = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    section = html.split('">Time use</h2>', 1)[1].split("</section>", 1)[0]
    assert "<caption>Share of recorded time: us beside other authorities" in section
    row = "".join(
        f'<td class="num">{cell}</td>' for cell in ("11.1%", "30.0%", "20.0–40.0%", "5", "–")
    )
    assert f'<th scope="row">Direct work (with children and families)</th>{row}' in section
    assert "Elsewhere" not in section
