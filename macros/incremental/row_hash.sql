{#- A row's hash over the given columns (not keyed: it only detects change). -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'gdpr_pipeline')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}
