{#- on-run-start: refuse to build when the key did not reach the engine (a profile without
    the plugin, say, or `dbt build --target spark` instead of `gdpr-pipeline spark-build`).
    There is no unkeyed fallback. -#}
{% macro check_pseudonymization_ready() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'snapshot') -%}
        {%- set key_id = gdpr_pipeline.session_key_id() -%}
        {%- if not key_id -%}
            {{ exceptions.raise_compiler_error(
                "The pseudonymization key did not reach the engine. "
                ~ gdpr_pipeline.key_setup_hint()) }}
        {%- endif -%}
        {{ log("Pseudonymization key id: " ~ key_id, info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}
