{% macro _check_raw_columns(path, found_columns, name) -%}
    {%- set found = found_columns | map('lower') | list -%}
    {%- for column in _raw_contract_columns(name) -%}
        {%- if column | lower not in found -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ path ~ " has no column '" ~ column ~ "' (the raw data contract for "
                ~ name ~ " needs: " ~ (_raw_contract_columns(name) | join(', ')) ~ "; found: "
                ~ (found_columns | join(', ')) ~ ").") }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
