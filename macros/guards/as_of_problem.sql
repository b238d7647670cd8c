{#- Why var as_of is unusable, or an empty string when it is fine (empty means the build's start). -#}
{% macro as_of_problem() -%}
    {%- set value = var('as_of', '') -%}
    {%- if value is none or value == '' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set parsed = none -%}
    {%- set shape = '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?' -%}
    {%- if modules.re.fullmatch(shape, text) -%}
        {%- set parsed = _parse_timestamp(text) -%}
    {%- endif -%}
    {%- if parsed is none -%}
        {{ return("var as_of = " ~ _shown(value)
            ~ ": must be a timestamp 'YYYY-MM-DD[ HH:MM[:SS]]' (UTC), or empty for the build's start") }}
    {%- endif -%}
    {%- set started = run_started_at.replace(tzinfo=none) -%}
    {%- if parsed > started -%}
        {{ return("var as_of = " ~ _shown(value) ~ ": is in the future (the build started at "
            ~ started.strftime('%Y-%m-%d %H:%M:%S') ~ " UTC); a release cannot describe consent that is not recorded yet") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
