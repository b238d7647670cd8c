{#- The class of a declared column: config.meta.personal_data (dbt 1.10+), else meta. -#}
{% macro personal_data_class(column) -%}
    {%- set meta = column.config.meta if column.config and column.config.meta else column.meta -%}
    {{ return((meta or {}).get('personal_data')) }}
{%- endmacro %}
