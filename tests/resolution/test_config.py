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
        ({"memory_limit": "1.5"}, "memory_limit must be like"),
        ({"memory_limit": "1GB'; DROP TABLE members; --"}, "memory_limit must be like"),
    ],
)
def test_bad_resolution_knobs_are_refused(knobs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"resolution": knobs})


def test_regularization_is_a_knob() -> None:
    assert parse_config({"resolution": {"regularization": 10}}).resolution.regularization == 10


@pytest.mark.parametrize("limit", ["800MB", "1.5GB", ""])
def test_each_stage_runs_with_the_configured_duckdb_memory_limit(tmp_path, limit: str) -> None:
    import duckdb

    from resolution.stages import RunSettings, Stage

    config = parse_config({"resolution": {"memory_limit": limit}})
    con = duckdb.connect()
    default = con.execute("SELECT current_setting('memory_limit')").fetchone()
    seen = []
    stage = Stage(
        "probe",
        lambda c, _: (
            seen.append(c.execute("SELECT current_setting('memory_limit')").fetchone()) or {}
        ),
    )
    stage(con, RunSettings(home=tmp_path, inputs=(), config=config))
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")
        assert seen == [con.execute("SELECT current_setting('memory_limit')").fetchone()]
        assert seen != [default]
    else:
        assert seen == [default]
