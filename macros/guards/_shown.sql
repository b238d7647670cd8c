{% macro _shown(value) -%}
    {{ return((value | tojson) if value is not string else "'" ~ value ~ "'") }}
{%- endmacro %}
