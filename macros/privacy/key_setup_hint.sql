{#- How to get the key into this engine, for the error message. -#}
{% macro key_setup_hint() -%}
    {{ return(adapter.dispatch('key_setup_hint', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro default__key_setup_hint() -%}
    {{ return("Use the committed profiles.yml (it loads the gdpr_pipeline plugin) and set "
        ~ "DBT_ENV_SECRET_PSEUDONYM_KEY.") }}
{%- endmacro %}

{% macro spark__key_setup_hint() -%}
    {{ return("On Spark, run dbt through `gdpr-pipeline spark-build [dbt args]`: it starts the "
        ~ "SparkSession, registers the key's HMAC pads in a temporary view and then runs dbt. "
        ~ "Set DBT_ENV_SECRET_PSEUDONYM_KEY or create the key file (gdpr-pipeline keys init).") }}
{%- endmacro %}
