"""Hypothesis profiles the suite shares: the fuzzers and the property tests.

Select one with HYPOTHESIS_PROFILE: "ci" (default) is derandomized, so every run tries the
same inputs, and does not shrink, so a failing run stays within its time; "deep" is random,
for local exploration with many more examples. Nothing is written into the tree: no example
database (database=None), and Hypothesis's caches go to the system's temporary folder.
"""

import os
import tempfile

from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches in ./.hypothesis even without an example database: keep them out of
# the tree, in the system's temporary folder (HYPOTHESIS_STORAGE_DIRECTORY still wins).
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "portal-fuzz-hypothesis"))

_COMMON = {
    "deadline": None,
    "database": None,  # no .hypothesis/ folder in the tree
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
# "ci": the same inputs on every run; no shrinking, so a failing run stays within its time
# (the fuzzers report each finding with the shortest request that showed it instead).
settings.register_profile(
    "ci", derandomize=True, phases=[Phase.explicit, Phase.generate], **_COMMON
)
# "deep": random inputs, many more of them, for local exploration.
settings.register_profile("deep", derandomize=False, **_COMMON)


def profile_name() -> str:
    """The profile named by HYPOTHESIS_PROFILE, "ci" when unset."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci")


def profile_settings(examples: dict[str, int], variable: str, **overrides) -> settings:
    """The selected profile with its number of examples (`examples` by profile name, or the
    environment variable `variable` when set) and any other settings given."""
    override = os.environ.get(variable, "").strip()
    count = int(override) if override else examples[profile_name()]
    return settings(settings.get_profile(profile_name()), max_examples=count, **overrides)
