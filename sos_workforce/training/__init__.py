"""Training: courses as data, sessions and attendance (entered or imported), coverage of
current staff against the lead's targets, and the support and in-house trainer pipeline
from the staff survey's opt-ins.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.training.courses import (
    COVERAGE_LEVELS,
    LEVELS,
    Course,
    course,
    courses,
    parse_catalogue,
)
from sos_workforce.training.coverage import (
    DUE,
    NOT_TRAINED,
    TRAINED,
    CoverageReport,
    GroupCoverage,
    LevelCoverage,
    PersonTraining,
    SessionAttendance,
    TrendPoint,
    coverage_report,
)
from sos_workforce.training.records import (
    TRAINERS,
    TRAINING_COLUMNS,
    SessionRecord,
    TrainingImported,
    TrainingPreview,
    attendance_count,
    course_names_in,
    delete_session,
    import_training,
    list_sessions,
    preview_training,
    propose_courses,
    record_session,
    set_target,
    training_targets,
    training_template,
)

__all__ = [
    "COVERAGE_LEVELS",
    "DUE",
    "LEVELS",
    "NOT_TRAINED",
    "TRAINED",
    "TRAINERS",
    "TRAINING_COLUMNS",
    "Course",
    "CoverageReport",
    "GroupCoverage",
    "LevelCoverage",
    "PersonTraining",
    "SessionAttendance",
    "SessionRecord",
    "TrainingImported",
    "TrainingPreview",
    "TrendPoint",
    "attendance_count",
    "course",
    "course_names_in",
    "courses",
    "coverage_report",
    "delete_session",
    "import_training",
    "list_sessions",
    "parse_catalogue",
    "preview_training",
    "propose_courses",
    "record_session",
    "set_target",
    "training_targets",
    "training_template",
]
