{#- on-run-start: the key cannot change by accident. A build whose key id differs from the
    published release's stops and points to `gdpr-pipeline keys rotate`, unless that key is the
    next key of a rotation in progress (warehouse/key_rotation.json). Otherwise
    DBT_ENV_SECRET_PSEUDONYM_KEY=<another> dbt build would silently re-key every release, and
    every model trained before could no longer be checked against withdrawals. The plugin
    reads the published key id and the rotation state into session variables. Spark has no
    separately published file: default__ checks nothing (docs/spark.md). -#}
{% macro check_key_unchanged() -%}
    {{ return(adapter.dispatch('check_key_unchanged', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro default__check_key_unchanged() -%}
    select 1
{%- endmacro %}

{% macro duckdb__check_key_unchanged() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set row = run_query("select " ~ pseudonym_key_id()
            ~ ", cast(getvariable('gdpr_published_key_id') as varchar), "
            ~ "cast(getvariable('gdpr_rotation_next_key_id') as varchar)").rows[0] -%}
        {%- set key_id, published, rotating = row[0], row[1] or '', row[2] or '' -%}
        {%- if key_id and published and published != key_id and key_id != rotating -%}
            {{ guard_failed("The pseudonymization key changed: this build has key id " ~ key_id
                ~ ", the published release was built with key id " ~ published ~ ". Nothing was built or published. "
                ~ "To change the key, run `gdpr-pipeline keys rotate` (it keeps the current release queryable until "
                ~ "`gdpr-pipeline keys cutover`); to keep the key, use the one with key id " ~ published ~ ".") }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
