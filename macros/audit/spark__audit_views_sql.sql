{#- The reader views, as on DuckDB, one statement each (Spark runs one per call). -#}
{% macro spark__audit_views_sql(trail) -%}
    {%- set schema = trail.schema -%}
    {{ return([
        'create or replace view ' ~ schema ~ '.invocations as
        select seq, invocation_id, command, status, started_at, ended_at, execution_ms, message as result_summary,
            result_count, dbt_version, adapter_type, adapter_version, engine_version, git_commit, as_of,
            key_id, target_name, dbt_vars, record_hash
        from ' ~ trail ~ " where record_type = 'invocation'",
        'create or replace view ' ~ schema ~ '.node_results as
        select seq, invocation_id, unique_id, resource_type, node_name, relation_name, status, started_at,
            ended_at, execution_ms, rows_affected, message, record_hash
        from ' ~ trail ~ " where record_type = 'node'",
        'create or replace view ' ~ schema ~ '.test_results as
        select seq, invocation_id, unique_id, node_name as test_name, status, failures, started_at,
            ended_at, execution_ms, message, record_hash
        from ' ~ trail ~ " where record_type = 'test'",
    ]) }}
{%- endmacro %}
