"""The engine switch: [resolution] engine, overridden by `edin run --engine` (RunSettings), and
not a reason to retrain the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolution import ConfigError, parse_config
from resolution.stages import RunSettings, training_key


def settings(engine_knob: str | None, engine: str | None) -> RunSettings:
    raw = {"resolution": {"engine": engine_knob}} if engine_knob else {}
    return RunSettings(home=Path("h"), inputs=(), config=parse_config(raw), engine=engine)


def test_the_default_engine_is_duckdb() -> None:
    assert not settings(None, None).on_spark


@pytest.mark.parametrize(
    ("knob", "flag", "on_spark"),
    [("spark", None, True), ("duckdb", "spark", True), ("spark", "duckdb", False)],
)
def test_the_flag_overrides_the_knob(knob: str, flag: str | None, on_spark: bool) -> None:
    assert settings(knob, flag).on_spark is on_spark


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ConfigError, match="engine must be one of duckdb, spark"):
        parse_config({"resolution": {"engine": "flink"}})


def test_the_engine_does_not_retrain_the_model() -> None:
    assert training_key(settings("spark", None)) == training_key(settings(None, None))
