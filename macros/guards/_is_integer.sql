{% macro _is_integer(value) -%}
    {{ return(value is number and value is not boolean and value is integer) }}
{%- endmacro %}
