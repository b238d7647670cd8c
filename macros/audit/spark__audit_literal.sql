{#- audit_literal for Spark: text is `string`, and a Spark string literal escapes a quote and a
    backslash with a backslash (a result message can hold both). -#}
{% macro spark__audit_literal(value, kind) -%}
    {%- if value is none or (kind != 'text' and value == '') -%}
        {{ return('cast(null as ' ~ spark__audit_sql_type(kind) ~ ')') }}
    {%- elif kind == 'text' -%}
        {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
    {%- endif -%}
    {{ return(audit_literal(value, kind)) }}
{%- endmacro %}
