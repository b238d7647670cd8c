{#- A text value that must match a pattern, else the build stops naming file, column and the
    value, masked (masked_value: it may be an email). -#}
{% macro require_pattern(column, pattern, path, what) -%}
    case
        when {{ column }} is not null and not {{ gdpr_pipeline.matches_pattern(column, pattern) }}
            then {{ gdpr_pipeline.raise_error(
                sql_string(path ~ ": column " ~ column ~ ": ") ~ " || "
                ~ gdpr_pipeline.masked_value(column) ~ " || ' is not " ~ what ~ "'") }}
        else {{ column }}
    end
{%- endmacro %}
