{#- Dotted numeric version ('2', '2.1', '10.0.3') as a list of integers, compared element-wise:
    '2.10' > '2.9', '2.0' > '2', '10' > '9'. A text that is not a version gives null elements
    instead of failing the query (the engine may evaluate this for rows a filter then drops). -#}
{% macro version_key(column) -%}
    {{ return(adapter.dispatch('version_key', 'gdpr_pipeline')(column)) }}
{%- endmacro %}

{% macro duckdb__version_key(column) -%}
    list_transform(string_split({{ column }}, '.'), lambda x: {{ gdpr_pipeline.try_cast_text('x', 'integer') }})
{%- endmacro %}

{% macro spark__version_key(column) -%}
    transform(split({{ column }}, '[.]'), x -> {{ gdpr_pipeline.try_cast_text('x', 'int') }})
{%- endmacro %}
