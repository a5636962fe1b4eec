"""The Dagster layer: thin assets over ``resolution.stages``. All config and env live in
``pipelines.resources``; ``pipelines.definitions`` wires the graph."""
