{% macro add_days(timestamp_sql, days_sql) -%}
    {{ return(adapter.dispatch('add_days', 'gdpr_pipeline')(timestamp_sql, days_sql)) }}
{%- endmacro %}

{% macro duckdb__add_days(timestamp_sql, days_sql) -%}
    ({{ timestamp_sql }} + to_days(cast({{ days_sql }} as integer)))
{%- endmacro %}

{% macro spark__add_days(timestamp_sql, days_sql) -%}
    ({{ timestamp_sql }} + make_interval(0, 0, 0, cast({{ days_sql }} as int)))
{%- endmacro %}
