{#- The key id the engine session holds, or none when the key was not set up. -#}
{% macro session_key_id() -%}
    {{ return(adapter.dispatch('session_key_id', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro default__session_key_id() -%}
    {{ return(run_query('select ' ~ pseudonym_key_id()).columns[0].values()[0]) }}
{%- endmacro %}

{#- Spark: a missing view is an error, not a null, so look for it first. -#}
{% macro spark__session_key_id() -%}
    {%- if run_query("show views like 'gdpr_pipeline_key'") | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(default__session_key_id()) }}
{%- endmacro %}
