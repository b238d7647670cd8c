{% macro _raw_contract_columns(name) -%}
    {%- set node = graph.sources['source.gdpr_pipeline.raw.' ~ name] -%}
    {{ return(node.columns.keys() | list) }}
{%- endmacro %}
