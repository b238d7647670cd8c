{% macro matches_pattern(column, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'gdpr_pipeline')(column, pattern)) }}
{%- endmacro %}

{% macro duckdb__matches_pattern(column, pattern) -%}
    regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_pattern(column, pattern) -%}
    ({{ column }} rlike '^{{ pattern }}$')
{%- endmacro %}
