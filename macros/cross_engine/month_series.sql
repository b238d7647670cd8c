{#- One row per month from the first day of start_sql's month to end_sql (dates), as rows. -#}
{% macro month_series(start_sql, end_sql) -%}
    {{ return(adapter.dispatch('month_series', 'gdpr_pipeline')(start_sql, end_sql)) }}
{%- endmacro %}

{% macro duckdb__month_series(start_sql, end_sql) -%}
    unnest(generate_series(cast({{ start_sql }} as date), cast({{ end_sql }} as date), interval 1 month))
{%- endmacro %}

{% macro spark__month_series(start_sql, end_sql) -%}
    explode(sequence(cast({{ start_sql }} as date), cast({{ end_sql }} as date), interval 1 month))
{%- endmacro %}
