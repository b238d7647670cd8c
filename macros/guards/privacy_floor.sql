{#- The floors below which k_min and l_min may not go, from the purposes registry's config. -#}
{% macro privacy_floor() -%}
    {%- set floor = {'k_min': 5, 'l_min': 2} -%}
    {%- set node = graph.nodes.get('seed.gdpr_pipeline.purposes') -%}
    {%- if node is not none -%}
        {%- do floor.update((node.config.meta or {}).get('privacy_floor', {})) -%}
    {%- endif -%}
    {{ return(floor) }}
{%- endmacro %}
