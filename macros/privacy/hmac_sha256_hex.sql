{#- HMAC-SHA256 of a blob, as lowercase hex, keyed by the pads held in the engine session.
    Tested against the RFC 4231 vectors (python/tests/test_pseudonymization.py). -#}
{% macro hmac_sha256_hex(message_blob) -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'gdpr_pipeline')(message_blob)) }}
{%- endmacro %}

{#- DuckDB: a session without the key (dbt ls, compile, show, docs generate run without one)
    has no pads; any row that would be pseudonymized then stops the query with the reason the
    plugin set, instead of hashing a null. -#}
{% macro duckdb__hmac_sha256_hex(message_blob) -%}
    {%- set missing = "error(coalesce(getvariable('gdpr_key_problem'), "
        ~ "'The pseudonymization key did not reach the engine.'))::blob" -%}
    sha256(coalesce(getvariable('gdpr_hmac_outer_pad')::blob, {{ missing }}) || unhex(sha256(coalesce(getvariable('gdpr_hmac_inner_pad')::blob, {{ missing }}) || {{ message_blob }})))
{%- endmacro %}

{% macro spark__hmac_sha256_hex(message_blob) -%}
    sha2(concat((select outer_pad from gdpr_pipeline_key), unhex(sha2(concat((select inner_pad from gdpr_pipeline_key), {{ message_blob }}), 256))), 256)
{%- endmacro %}
