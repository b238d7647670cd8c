{% macro spark__audit_sql_type(kind) -%}
    {{ return({'text': 'string', 'int': 'bigint', 'ts': 'timestamp'}[kind]) }}
{%- endmacro %}
