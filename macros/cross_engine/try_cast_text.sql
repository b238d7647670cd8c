{#- try_cast, the same on every engine: a text that does not parse gives null. Models call the
    cross_engine macros, never the engine's own spelling. -#}
{% macro try_cast_text(column, data_type) -%}
    {{ return(adapter.dispatch('try_cast_text', 'gdpr_pipeline')(column, data_type)) }}
{%- endmacro %}

{% macro default__try_cast_text(column, data_type) -%}
    try_cast({{ column }} as {{ data_type }})
{%- endmacro %}

{#- Spark's cast takes '2026' or '2026-03' for a date or a timestamp, where DuckDB refuses them;
    requiring a full year-month-day keeps a value that fails on one engine failing on both. -#}
{% macro spark__try_cast_text(column, data_type) -%}
    {%- if data_type | lower in ('date', 'timestamp') -%}
        case when {{ column }} rlike '^\\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$' then try_cast({{ column }} as {{ data_type }}) end
    {%- else -%}
        try_cast({{ column }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
