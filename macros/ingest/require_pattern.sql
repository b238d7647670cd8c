{#- A text value that must match a pattern, else the build stops naming file, column, value. -#}
{% macro require_pattern(column, pattern, path, what) -%}
    case
        when {{ column }} is not null and not {{ gdpr_pipeline.matches_pattern(column, pattern) }}
            then {{ gdpr_pipeline.raise_error(
                "'" ~ path ~ ": column " ~ column ~ ": ''' || " ~ column ~ " || ''' is not " ~ what ~ "'") }}
        else {{ column }}
    end
{%- endmacro %}
