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

{#- Spark: gdpr-pipeline spark-build registers the pads as the one-row temporary view
    gdpr_pipeline_key before dbt runs (python/src/gdpr_pipeline/engines/spark.py says why a view
    and not session variables: Spark prints a variable's value in plans and error messages). -#}
{% macro spark__pseudonymize(domain, subject_id) -%}
    {{ gdpr_pipeline.hmac_sha256_hex("encode(concat(" ~ domain ~ ", ':', " ~ subject_id ~ "), 'UTF-8')") }}
{%- endmacro %}
