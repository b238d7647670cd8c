{% macro _is_number(value) -%}
    {{ return(value is number and value is not boolean) }}
{%- endmacro %}
