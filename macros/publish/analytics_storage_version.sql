{#- The storage compatibility version analytics.duckdb is written in. v1.0.0 (storage format 64)
    is the oldest DuckDB 1.x writes and every DuckDB from 1.0 to 2.x reads; the releases use
    only plain tables and views of scalar types, which that version stores as they are.
    python/tests/e2e/test_readers.py opens the published file with the newest DuckDB 1.x. -#}
{% macro analytics_storage_version() -%}
    {{ return('v1.0.0') }}
{%- endmacro %}
