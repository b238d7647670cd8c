{#- A select-list expression that turns a list into rows: `select {{ rows_of(["'a'", "'b'"]) }}
    as x`. Used instead of `union all` chains, which Spark 4 cannot ship into the tasks of a
    cross join (ClassCastException on UnionExec.children). -#}
{% macro rows_of(literals) -%}
    {{ return(adapter.dispatch('rows_of', 'gdpr_pipeline')(literals)) }}
{%- endmacro %}

{% macro duckdb__rows_of(literals) -%}
    unnest([{{ literals | join(', ') }}])
{%- endmacro %}

{% macro spark__rows_of(literals) -%}
    explode(array({{ literals | join(', ') }}))
{%- endmacro %}

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
