{#- The non-secret id of the key in use; every pseudonymized relation carries it. -#}
{% macro pseudonym_key_id() -%}
    {{ return(adapter.dispatch('pseudonym_key_id', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro duckdb__pseudonym_key_id() -%}
    cast(getvariable('gdpr_key_id') as varchar)
{%- endmacro %}

{% macro spark__pseudonym_key_id() -%}
    (select key_id from gdpr_pipeline_key)
{%- endmacro %}
