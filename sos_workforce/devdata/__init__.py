"""Demo and synthetic data, built through the same services the app uses.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.devdata.demo import DEMO_CREDENTIALS, seed_demo
from sos_workforce.devdata.diaries import DIARY_LINKS_FILE
from sos_workforce.devdata.generate import PRESETS, generate_synthetic
from sos_workforce.devdata.profiling import RATER_LINKS_FILE

__all__ = [
    "DEMO_CREDENTIALS",
    "DIARY_LINKS_FILE",
    "PRESETS",
    "RATER_LINKS_FILE",
    "generate_synthetic",
    "seed_demo",
]
