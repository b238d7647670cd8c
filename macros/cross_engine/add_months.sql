{#- A date moved by a whole number of months (negative goes back). -#}
{% macro add_months(date_sql, months_sql) -%}
    {{ return(adapter.dispatch('add_months', 'gdpr_pipeline')(date_sql, months_sql)) }}
{%- endmacro %}

{% macro duckdb__add_months(date_sql, months_sql) -%}
    cast(cast({{ date_sql }} as date) + to_months(cast({{ months_sql }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_months(date_sql, months_sql) -%}
    add_months(cast({{ date_sql }} as date), cast({{ months_sql }} as int))
{%- endmacro %}
