{#- as_of for the audit record: null rather than a failing cast when the var is unusable, so
    an invocation stopped by validate_vars is still recorded. -#}
{% macro as_of_or_null() -%}
    {%- if as_of_problem() -%}
        {{ return('cast(null as timestamp)') }}
    {%- endif -%}
    {{ return(as_of()) }}
{%- endmacro %}
