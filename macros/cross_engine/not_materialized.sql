{#- A hint that a CTE read more than once is to be inlined, not computed once and kept:
    `name as {{ not_materialized() }} (...)`. DuckDB materializes such a CTE on its own, and
    for an import CTE over a large raw file that means holding (and spilling) every row, where
    reading the file again is cheaper (measured in docs/benchmarks.md). Other engines: no hint. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
