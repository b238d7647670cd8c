{#- An order-free, overflow-free sum of 64-bit row hashes. -#}
{% macro fingerprint_sum(hash_sql) -%}
    {{ return(adapter.dispatch('fingerprint_sum', 'gdpr_pipeline')(hash_sql)) }}
{%- endmacro %}

{% macro duckdb__fingerprint_sum(hash_sql) -%}
    sum(cast({{ hash_sql }} as hugeint))
{%- endmacro %}

{% macro default__fingerprint_sum(hash_sql) -%}
    sum(cast({{ hash_sql }} as decimal(38, 0)))
{%- endmacro %}
