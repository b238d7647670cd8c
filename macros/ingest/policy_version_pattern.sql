{#- A policy version: dot-separated components of 1 to 9 digits ('2', '2.1', '10.0.3'), so
    every component fits an integer. -#}
{% macro policy_version_pattern() -%}
    {{ return('[0-9]{1,9}([.][0-9]{1,9})*') }}
{%- endmacro %}
