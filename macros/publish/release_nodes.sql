{% macro release_nodes() -%}
    {%- set nodes = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and (node.config.meta or {}).get('release') -%}
            {%- do nodes.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(nodes | sort(attribute='unique_id')) }}
{%- endmacro %}
