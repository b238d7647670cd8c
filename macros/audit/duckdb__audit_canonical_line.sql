{#- The canonical text of one column (see the header): '<name>=<bytes>:<text>\n' or '<name>=~\n'. -#}
{% macro duckdb__audit_canonical_line(name, kind) -%}
    {%- if kind == 'int' -%}
        {%- set text = 'cast(' ~ name ~ ' as varchar)' -%}
    {%- elif kind == 'ts' -%}
        {%- set text = "strftime(" ~ name ~ ", '%Y-%m-%dT%H:%M:%S.%fZ')" -%}
    {%- else -%}
        {%- set text = name -%}
    {%- endif -%}
    '{{ name }}=' || coalesce(cast(strlen({{ text }}) as varchar) || ':' || {{ text }}, '~') || chr(10)
{%- endmacro %}
