{% macro _raw_contract_columns(name) -%}
    {%- set node = graph.sources['source.gdpr_pipeline.app.' ~ name] -%}
    {{ return(node.columns.keys() | list) }}
{%- endmacro %}
