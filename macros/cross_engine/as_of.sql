{#- The build's reference time: var as_of, or the build's start (UTC). -#}
{% macro as_of() -%}
    {%- set value = var('as_of', '') or run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    cast('{{ value }}' as timestamp)
{%- endmacro %}
