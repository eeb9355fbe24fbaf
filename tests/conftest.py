"""Test configuration: fixed Hypothesis profiles.

``ci`` (the default) is derandomised with bounded examples so CI is stable;
``thorough`` is for users: ``pytest --hypothesis-profile=thorough``.
"""

import os

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from softproof.cli import cache_directory

# one worker unless a test asks for more (--jobs N): the tests run one after the other,
# so default worker pools would only compete for the same cores (subprocesses inherit it)
os.environ.setdefault("SOFTPROOF_JOBS", "1")

# Hypothesis's files (example database, patches) go to the cache, not ./.hypothesis
set_hypothesis_home_dir(cache_directory() / "hypothesis-tests")

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("ci")
