"""Which pages exist and which roles see them. ``app.py`` draws the menu from this table,
and the tests check every role's menu against it."""

from __future__ import annotations

from dataclasses import dataclass

from sos_workforce.core.enums import Role


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the folder of app.py
    title: str
    icon: str
    url_path: str
    section: str
    roles: frozenset[Role]


PAGES: list[PageSpec] = [
    PageSpec(
        "pages/dashboard.py",
        "Confidence dashboard",
        ":material/bar_chart:",
        "dashboard",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/conference_feedback.py",
        "Conference feedback",
        ":material/forum:",
        "conference-feedback",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/workforce.py",
        "Workforce and retention",
        ":material/badge:",
        "workforce",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/training_coverage.py",
        "Training coverage",
        ":material/school:",
        "training-coverage",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/time_use.py",
        "Time use",
        ":material/schedule:",
        "time-use",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/progress.py",
        "Implementation progress",
        ":material/trending_up:",
        "progress",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/outcomes.py",
        "Outcomes",
        ":material/monitoring:",
        "outcomes",
        "Results",
        frozenset({Role.ADMIN, Role.LEAD, Role.EXECUTIVE}),
    ),
    PageSpec(
        "pages/waves.py",
        "Survey waves",
        ":material/campaign:",
        "waves",
        "Run surveys",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/instruments.py",
        "Survey instruments",
        ":material/assignment:",
        "instruments",
        "Run surveys",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/feedback_forms.py",
        "Conference feedback forms",
        ":material/qr_code_2:",
        "feedback-forms",
        "Run surveys",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/diaries.py",
        "Time diaries",
        ":material/edit_calendar:",
        "diaries",
        "Run surveys",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/training.py",
        "Training",
        ":material/model_training:",
        "training",
        "Run surveys",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/profiling.py",
        "Self-profiling rounds",
        ":material/fact_check:",
        "profiling",
        "Self-profiling",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/timeline.py",
        "Implementation timeline",
        ":material/timeline:",
        "timeline",
        "Self-profiling",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
    PageSpec(
        "pages/users.py",
        "Users and organisations",
        ":material/group:",
        "users",
        "Administration",
        frozenset({Role.ADMIN}),
    ),
    PageSpec(
        "pages/audit.py",
        "Audit log",
        ":material/policy:",
        "audit",
        "Administration",
        frozenset({Role.ADMIN, Role.LEAD}),
    ),
]

SIGN_IN_PAGE = "pages/sign_in.py"
SURVEY_PAGE = "pages/survey.py"
RATING_PAGE = "pages/rate_profile.py"
DIARY_PAGE = "pages/diary.py"  # staff, anonymous: /diary?d=<token>
FEEDBACK_PAGE = "pages/feedback.py"  # anyone at a conference, anonymous: /feedback?f=<token>


def pages_for(role: Role) -> list[PageSpec]:
    return [page for page in PAGES if role in page.roles]
