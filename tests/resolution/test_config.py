"""[resolution] knobs: defaults, and bad values refused with a message that says what to do."""

from __future__ import annotations

import pytest

from resolution import ConfigError, parse_config
from resolution.training.fit import REGULARIZATION_C


def test_the_fit_uses_the_documented_default_regularization() -> None:
    assert parse_config({}).resolution.regularization == REGULARIZATION_C == 1.0


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"regularization": 0}, "regularization must be above 0"),
        ({"regularization": -1.0}, "regularization must be above 0"),
        ({"threshold": 1.5}, "threshold must be between 0 and 1"),
        ({"workers": -2}, "workers must be 0"),
        ({"regularisation": 1.0}, "unknown \\[resolution\\] key"),
    ],
)
def test_bad_resolution_knobs_are_refused(knobs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"resolution": knobs})


def test_regularization_is_a_knob() -> None:
    assert parse_config({"resolution": {"regularization": 10}}).resolution.regularization == 10
