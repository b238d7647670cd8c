{#- A value shown in an error without revealing it: its first character and its length. -#}
{% macro masked_value(value_sql) -%}
    concat('''', left({{ value_sql }}, 1), '...'' (', cast(length({{ value_sql }}) as string), ' characters)')
{%- endmacro %}
