"""Test configuration: fixed Hypothesis profiles.

``ci`` (the default) is derandomised with bounded examples so CI is stable;
``thorough`` is for users: ``pytest --hypothesis-profile=thorough``.
"""

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from softproof.cli import cache_directory

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
