"""edin (единый): contact identity resolution for Russian-speaking helpdesks. The CLI lives here;
the engine is in ``resolution``, the normalizers in ``normalizers``, the Dagster layer in
``pipelines``."""

__version__ = "0.1.0"
