"""Organisational self-profiling: the instrument, rounds and raters, progress across
rounds, and the implementation timeline.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.profiling import rounds, timeline
from sos_workforce.profiling.delivery import (
    queue_rater_reminders,
    resend_rater_invitation,
    round_mail,
)
from sos_workforce.profiling.instrument import (
    SCORE_MAX,
    SCORE_MIN,
    ProfileDefinition,
    sync_profiles,
)
from sos_workforce.profiling.progress import (
    HIGH_LEVEL,
    MIN_ORGANISATIONS,
    SUSTAINMENT_DROP,
    ProgressReport,
    experience_comparison,
    progress_report,
    readiness,
)
from sos_workforce.profiling.rounds import (
    MAX_RATERS_PER_ROLE,
    AgreedInput,
    OpenedRound,
    RaterInvite,
    RoundConsolidation,
    close_round,
    enable_rater_links_file,
    fewer_than,
    issue_rater_links,
    list_profile_versions,
    list_rounds,
    open_rating_form,
    open_round,
    profile_definition,
    record_agreed_scores,
    round_consolidation,
    save_rater_draft,
    submit_scores,
)
from sos_workforce.profiling.timeline import (
    EARLIEST_DATE,
    Timeline,
    add_milestone,
    get_timeline,
    remove_milestone,
    set_timeline,
    suggested_phase_starts,
)

__all__ = [
    "queue_rater_reminders",
    "resend_rater_invitation",
    "round_mail",
    "OpenedRound",
    "RaterInvite",
    "profile_definition",
    "AgreedInput",
    "EARLIEST_DATE",
    "HIGH_LEVEL",
    "MAX_RATERS_PER_ROLE",
    "MIN_ORGANISATIONS",
    "ProfileDefinition",
    "ProgressReport",
    "RoundConsolidation",
    "SCORE_MAX",
    "SCORE_MIN",
    "SUSTAINMENT_DROP",
    "Timeline",
    "add_milestone",
    "close_round",
    "experience_comparison",
    "fewer_than",
    "get_timeline",
    "list_profile_versions",
    "list_rounds",
    "open_rating_form",
    "enable_rater_links_file",
    "issue_rater_links",
    "open_round",
    "progress_report",
    "readiness",
    "record_agreed_scores",
    "remove_milestone",
    "round_consolidation",
    "rounds",
    "set_timeline",
    "save_rater_draft",
    "submit_scores",
    "suggested_phase_starts",
    "sync_profiles",
    "timeline",
]
