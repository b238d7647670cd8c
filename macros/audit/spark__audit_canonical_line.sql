{#- The canonical text of one column: '<name>=<bytes>:<text>\n' or '<name>=~\n'. -#}
{% macro spark__audit_canonical_line(name, kind) -%}
    {%- if kind == 'int' -%}
        {%- set text = 'cast(' ~ name ~ ' as string)' -%}
    {%- elif kind == 'ts' -%}
        {%- set text = 'date_format(' ~ name ~ ", \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\")" -%}
    {%- else -%}
        {%- set text = name -%}
    {%- endif -%}
    '{{ name }}=', coalesce(concat(cast(octet_length({{ text }}) as string), ':', {{ text }}), '~'), char(10)
{%- endmacro %}
