{#- The single file found for a raw table, or an error that says what is missing or doubled.
    Both engines list candidates their own way and share this check. -#}
{% macro _the_one_raw_file(name, found) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file missing: " ~ base ~ ".csv or " ~ base ~ ".parquet. Put the four raw files "
            ~ "(subjects, consent_events, purchases, erasure_requests) in one directory and pass it "
            ~ "as --vars '{raw_dir: <dir>}'.") }}
    {%- elif found | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Ambiguous raw input: both " ~ (found | join(' and ')) ~ " exist; keep one.") }}
    {%- endif -%}
    {{ return(found[0]) }}
{%- endmacro %}
