{#- Small engine-specific SQL functions. Models call these, never the engine's own spelling. -#}

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

{% macro raise_error(message_sql) -%}
    {{ return(adapter.dispatch('raise_error', 'gdpr_pipeline')(message_sql)) }}
{%- endmacro %}
{% macro duckdb__raise_error(message_sql) -%}
    error({{ message_sql }})
{%- endmacro %}
{% macro spark__raise_error(message_sql) -%}
    raise_error({{ message_sql }})
{%- endmacro %}

{% macro matches_pattern(column, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'gdpr_pipeline')(column, pattern)) }}
{%- endmacro %}
{% macro duckdb__matches_pattern(column, pattern) -%}
    regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__matches_pattern(column, pattern) -%}
    ({{ column }} rlike '^{{ pattern }}$')
{%- endmacro %}

{#- A policy version: dot-separated components of 1 to 9 digits ('2', '2.1', '10.0.3'), so
    every component fits an integer. -#}
{% macro policy_version_pattern() -%}
    {{ return('[0-9]{1,9}([.][0-9]{1,9})*') }}
{%- endmacro %}

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

{% macro add_days(timestamp_sql, days_sql) -%}
    {{ return(adapter.dispatch('add_days', 'gdpr_pipeline')(timestamp_sql, days_sql)) }}
{%- endmacro %}
{% macro duckdb__add_days(timestamp_sql, days_sql) -%}
    ({{ timestamp_sql }} + to_days(cast({{ days_sql }} as integer)))
{%- endmacro %}
{% macro spark__add_days(timestamp_sql, days_sql) -%}
    ({{ timestamp_sql }} + make_interval(0, 0, 0, cast({{ days_sql }} as int)))
{%- endmacro %}

{#- Whole years between a date and a timestamp: the age at that instant. -#}
{% macro age_in_years(birth_date, at) -%}
    {{ return(adapter.dispatch('age_in_years', 'gdpr_pipeline')(birth_date, at)) }}
{%- endmacro %}
{% macro duckdb__age_in_years(birth_date, at) -%}
    date_sub('year', {{ birth_date }}, cast({{ at }} as date))
{%- endmacro %}
{% macro spark__age_in_years(birth_date, at) -%}
    cast(floor(months_between(cast({{ at }} as date), {{ birth_date }}) / 12) as int)
{%- endmacro %}

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

{#- The build's reference time: var as_of, or the build's start (UTC). -#}
{% macro as_of() -%}
    {%- set value = var('as_of', '') or run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    cast('{{ value }}' as timestamp)
{%- endmacro %}
