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
