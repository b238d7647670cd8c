{% macro _parse_timestamp(text) -%}
    {%- set formats = (
        '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S',
        '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d') -%}
    {%- for format in formats -%}
        {%- set parsed = _try_strptime(text, format) -%}
        {%- if parsed is not none -%}
            {{ return(parsed) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
