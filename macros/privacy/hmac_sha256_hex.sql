{#- HMAC-SHA256 of a blob, as lowercase hex, keyed by the pads held in the engine session.
    Tested against the RFC 4231 vectors (python/tests/test_pseudonymization.py). -#}
{% macro hmac_sha256_hex(message_blob) -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'gdpr_pipeline')(message_blob)) }}
{%- endmacro %}

{% macro duckdb__hmac_sha256_hex(message_blob) -%}
    sha256(getvariable('gdpr_hmac_outer_pad') || unhex(sha256(getvariable('gdpr_hmac_inner_pad') || {{ message_blob }})))
{%- endmacro %}

{% macro spark__hmac_sha256_hex(message_blob) -%}
    sha2(concat((select outer_pad from gdpr_pipeline_key), unhex(sha2(concat((select inner_pad from gdpr_pipeline_key), {{ message_blob }}), 256))), 256)
{%- endmacro %}
