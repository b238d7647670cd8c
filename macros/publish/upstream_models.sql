{#- Every node upstream of unique_id (models, seeds, snapshots), transitively. The loop walks a
    list it appends to, so it reaches every ancestor once. -#}
{% macro upstream_models(unique_id) -%}
    {%- set seen = [unique_id] -%}
    {%- for current in seen -%}
        {%- set node = graph.nodes.get(current) -%}
        {%- if node is not none -%}
            {%- for parent in node.depends_on.nodes -%}
                {%- if parent not in seen and parent.split('.')[0] in ('model', 'seed', 'snapshot') -%}
                    {%- do seen.append(parent) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(seen[1:]) }}
{%- endmacro %}
