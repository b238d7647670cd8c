{#- Keyed pseudonym of a subject in a domain: lowercase hex HMAC-SHA256(key, '<domain>:<id>').
    The key never appears here: the gdpr_pipeline plugin (DuckDB: session variables) or
    spark-build (Spark: a temporary view) holds the RFC 2104 pads in the engine session, so
    compiled SQL names where the pads are, never their values.
    HMAC(K, m) = SHA256((K xor opad) || SHA256((K xor ipad) || m)). -#}
{% macro pseudonymize(domain, subject_id) -%}
    {{ return(adapter.dispatch('pseudonymize', 'gdpr_pipeline')(domain, subject_id)) }}
{%- endmacro %}

{% macro duckdb__pseudonymize(domain, subject_id) -%}
    {{ gdpr_pipeline.hmac_sha256_hex("encode(" ~ domain ~ " || ':' || " ~ subject_id ~ ")") }}
{%- endmacro %}


{#- HMAC-SHA256 of a blob, as lowercase hex, keyed by the pads held in the engine session.
    Tested against the RFC 4231 vectors (python/tests/test_pseudonymization.py). -#}
{% macro hmac_sha256_hex(message_blob) -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'gdpr_pipeline')(message_blob)) }}
{%- endmacro %}

{#- DuckDB: a session without the key (dbt ls, compile, show, docs generate run without one)
    has no pads; any row that would be pseudonymized then stops the query with the reason the
    plugin set, instead of hashing a null. -#}
{% macro duckdb__hmac_sha256_hex(message_blob) -%}
    {%- set missing = "error(coalesce(getvariable('gdpr_key_problem'), 'The pseudonymization key did not reach the engine.'))::blob" -%}
    sha256(coalesce(getvariable('gdpr_hmac_outer_pad')::blob, {{ missing }}) || unhex(sha256(coalesce(getvariable('gdpr_hmac_inner_pad')::blob, {{ missing }}) || {{ message_blob }})))
{%- endmacro %}

{#- Spark: gdpr-pipeline spark-build registers the pads as the one-row temporary view
    gdpr_pipeline_key before dbt runs (python/src/gdpr_pipeline/engines/spark.py says why a view
    and not session variables: Spark prints a variable's value in plans and error messages). -#}
{% macro spark__pseudonymize(domain, subject_id) -%}
    {{ gdpr_pipeline.hmac_sha256_hex("encode(concat(" ~ domain ~ ", ':', " ~ subject_id ~ "), 'UTF-8')") }}
{%- endmacro %}

{% macro spark__hmac_sha256_hex(message_blob) -%}
    sha2(concat((select outer_pad from gdpr_pipeline_key), unhex(sha2(concat((select inner_pad from gdpr_pipeline_key), {{ message_blob }}), 256))), 256)
{%- endmacro %}


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
