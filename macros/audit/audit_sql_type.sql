{% macro audit_sql_type(kind) -%}
    {{ return({'text': 'varchar', 'int': 'bigint', 'ts': 'timestamp'}[kind]) }}
{%- endmacro %}
