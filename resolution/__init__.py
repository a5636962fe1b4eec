"""The resolution engine: no Dagster, no CLI. Ingest, match keys, dedupe model, blocking,
scoring, clustering, profiles, publishing and evaluation, each in its own module."""
