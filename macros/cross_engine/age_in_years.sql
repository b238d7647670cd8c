{#- Whole years between a date and a timestamp: the age at that instant. -#}
{% macro age_in_years(birth_date, at) -%}
    {{ return(adapter.dispatch('age_in_years', 'gdpr_pipeline')(birth_date, at)) }}
{%- endmacro %}

{% macro duckdb__age_in_years(birth_date, at) -%}
    date_sub('year', {{ birth_date }}, cast({{ at }} as date))
{%- endmacro %}

{% macro spark__age_in_years(birth_date, at) -%}
    cast(floor(months_between(cast({{ at }} as date), {{ birth_date }}) / 12) as int)
{%- endmacro %}
