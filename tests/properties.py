"""Hypothesis settings shared by the property-based tests: a modest number of examples and no
deadline (the machine is shared), derandomized and without an example database when CI=true,
so a CI run is reproducible and writes nothing."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "edin",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("edin"),
    derandomize=True,
    print_blob=True,
)
# A longer search, by hand:
#   HYPOTHESIS_PROFILE=thorough python -m pytest tests/inputs tests/normalizers
settings.register_profile("thorough", parent=settings.get_profile("edin"), max_examples=1500)
PROFILE = "ci" if os.environ.get("CI", "").lower() == "true" else "edin"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", PROFILE))
