{% macro json_record(columns) -%}
    {{ return(adapter.dispatch('json_record', 'gdpr_pipeline')(columns)) }}
{%- endmacro %}

{% macro duckdb__json_record(columns) -%}
    cast(json_object({% for c in columns %}'{{ c }}', {{ c }}{{ ", " if not loop.last }}{% endfor %}) as varchar)
{%- endmacro %}

{#- Nulls kept and timestamps written as DuckDB writes them, so a quarantined row reads the same. -#}
{% macro spark__json_record(columns) -%}
    to_json(
        named_struct({% for c in columns %}'{{ c }}', {{ c }}{{ ", " if not loop.last }}{% endfor %}),
        map('ignoreNullFields', 'false', 'timestampFormat', 'yyyy-MM-dd HH:mm:ss')
    )
{%- endmacro %}
