{#- Schemas are named for their layer (staging, intermediate, vault, releases, registry),
    not prefixed with the target schema, so the vault and the releases read the same in
    DuckDB and in Spark. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
