{#- A SQL string literal of a path or other text: quotes doubled, so a ' in raw_dir or
    GDPR_WAREHOUSE_DIR cannot break the statement. -#}
{% macro sql_string(text) -%}
    {{ return(adapter.dispatch('sql_string', 'gdpr_pipeline')(text)) }}
{%- endmacro %}

{% macro default__sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro spark__sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
{%- endmacro %}
