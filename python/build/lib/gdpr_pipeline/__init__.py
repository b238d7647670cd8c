"""gdpr_pipeline: purpose-bound, consent-filtered, pseudonymized releases built by dbt in DuckDB."""

__version__ = "0.1.0"
