{#- Parses a text column to a type; a value that does not parse stops the build with an error
    that names the file, the column and the value, masked (masked_value: it may be an email).
    Empty stays null. -#}
{% macro parse_or_fail(column, data_type, path) -%}
    case
        when {{ column }} is not null and {{ gdpr_pipeline.try_cast_text(column, data_type) }} is null
            then {{ gdpr_pipeline.raise_error(
                sql_string(path ~ ": column " ~ column ~ ": cannot parse ") ~ " || "
                ~ gdpr_pipeline.masked_value('cast(' ~ column ~ ' as string)') ~ " || ' as " ~ data_type ~ "'") }}
        else {{ gdpr_pipeline.try_cast_text(column, data_type) }}
    end
{%- endmacro %}
