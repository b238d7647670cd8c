{#- 'column: reason; column: reason' for the columns of a release's latest version that the
    column policy leaves out of its k class (config.meta.k_exempt), so the privacy report and
    the evidence page show why. Empty while parsing. -#}
{% macro k_exempt_columns(model_name) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model_name and node.version == node.latest_version -%}
            {%- for column in node.columns.values() -%}
                {%- set column_meta = column.config.meta
                    if column.config is defined and column.config.meta else column.meta or {} -%}
                {%- set reason = column_meta.get('k_exempt') -%}
                {%- if reason -%}
                    {%- do parts.append(column.name ~ ': ' ~ reason) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(parts | join('; ')) }}
{%- endmacro %}
