{#- A Jinja value as a SQL literal of the column's type; none becomes a typed null. -#}
{% macro audit_literal(value, kind) -%}
    {%- if value is none or (kind != 'text' and value == '') -%}
        {{ return('cast(null as ' ~ audit_sql_type(kind) ~ ')') }}
    {%- elif kind == 'int' -%}
        {{ return('cast(' ~ (value | int) ~ ' as bigint)') }}
    {%- elif kind == 'ts' -%}
        {{ return("cast('" ~ value.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)") }}
    {%- else -%}
        {{ return("cast('" ~ (value | string | replace("'", "''")) ~ "' as varchar)") }}
    {%- endif -%}
{%- endmacro %}
