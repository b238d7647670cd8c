{#- The audit trail on Spark: the same records, columns and hash chain as on DuckDB
    (record_audit.sql; the canonical form is documented there and in gdpr_pipeline/audit.py),
    in the Parquet table <schema>_audit.trail of the metastore, with the same reader views.

    What differs: Spark SQL has no recursive CTE or primary key, so the chain is folded by
    `aggregate` over the new records in seq order, starting from the head the hook reads just
    before; and nothing in the table stops a second writer that read the same head. One writer
    at a time is what the embedded Derby metastore enforces locally (one process); on a shared
    metastore, run one build at a time per schema prefix (a Delta table would reject the second
    commit; docs/spark.md). -#}
{% macro spark__record_audit(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'seed', 'snapshot', 'test', 'retry') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set columns = audit_columns() -%}
    {%- set trail = api.Relation.create(schema=generate_schema_name('audit', none), identifier='trail') -%}
    {%- set now = modules.datetime.datetime.now(modules.pytz.utc) -%}

    {%- do run_query('create schema if not exists ' ~ trail.schema) -%}
    {%- set create_sql -%}
        create table if not exists {{ trail }} (
            {%- for name, kind in columns %}
            {{ name }} {{ spark__audit_sql_type(kind) }},
            {%- endfor %}
            prev_hash string not null,
            record_hash string not null
        ) using parquet
    {%- endset -%}
    {%- do run_query(create_sql) -%}
    {%- set head = run_query('select coalesce(max(seq), 0), coalesce(max_by(record_hash, seq), repeat(\'0\', 64)) from ' ~ trail).rows[0] -%}

    {#- The invocation record, then one per result: the same values as duckdb__record_audit. -#}
    {%- set counts = {} -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- set status = result.status | string -%}
        {%- do counts.update({status: counts.get(status, 0) + 1}) -%}
        {%- if status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {%- do failed.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set summary = [] -%}
    {%- for status in counts | sort -%}
        {%- do summary.append(status ~ '=' ~ counts[status]) -%}
    {%- endfor -%}
    {#- A plain `dbt build --target spark` stops at on-run-start without the key view; its
        record then says so with a null key_id instead of failing here. -#}
    {%- set key_view_present = run_query("show views like 'gdpr_pipeline_key'") | length > 0 -%}
    {%- set common = {
        'invocation_id': spark__audit_literal(invocation_id, 'text'),
        'recorded_at': spark__audit_literal(now, 'ts'),
        'command': spark__audit_literal(flags.WHICH, 'text'),
    } -%}
    {%- set records = [] -%}
    {%- set invocation = common.copy() -%}
    {%- do invocation.update({
        'record_type': spark__audit_literal('invocation', 'text'),
        'status': spark__audit_literal('error' if failed else 'success', 'text'),
        'started_at': spark__audit_literal(run_started_at, 'ts'),
        'ended_at': spark__audit_literal(now, 'ts'),
        'execution_ms': spark__audit_literal(((now - run_started_at).total_seconds() * 1000) | round | int, 'int'),
        'message': spark__audit_literal(summary | join(' '), 'text'),
        'result_count': spark__audit_literal(results | length, 'int'),
        'dbt_version': spark__audit_literal(dbt_version, 'text'),
        'adapter_type': spark__audit_literal(adapter.type(), 'text'),
        'adapter_version': spark__audit_literal(env_var('GDPR_DBT_ADAPTER_VERSION', '') or none, 'text'),
        'engine_version': 'cast(version() as string)',
        'git_commit': spark__audit_literal(env_var('GDPR_GIT_COMMIT', '') or none, 'text'),
        'as_of': as_of(),
        'key_id': pseudonym_key_id() if key_view_present else spark__audit_literal(none, 'text'),
        'target_name': spark__audit_literal(target.name, 'text'),
        'dbt_vars': spark__audit_literal(tojson(invocation_args_dict.get('vars') or {}, sort_keys=true), 'text'),
    }) -%}
    {%- do records.append(invocation) -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- set execute_timing = result.timing | selectattr('name', 'equalto', 'execute') | list -%}
        {%- set timing = execute_timing[0] if execute_timing else (result.timing[-1] if result.timing else none) -%}
        {%- set rows = (result.adapter_response or {}).get('rows_affected') -%}
        {%- if rows is none and node.resource_type == 'model' and result.status == 'success'
              and node.config.materialized == 'table' and node.relation_name -%}
            {%- set rows_sql = '(select count(*) from ' ~ node.relation_name ~ ')' -%}
        {%- else -%}
            {%- set rows_sql = spark__audit_literal(rows, 'int') -%}
        {%- endif -%}
        {%- set is_test = node.resource_type in ('test', 'unit_test') -%}
        {%- set record = common.copy() -%}
        {%- do record.update({
            'record_type': spark__audit_literal('test' if is_test else 'node', 'text'),
            'unique_id': spark__audit_literal(node.unique_id, 'text'),
            'resource_type': spark__audit_literal(node.resource_type, 'text'),
            'node_name': spark__audit_literal(node.name, 'text'),
            'relation_name': spark__audit_literal(node.relation_name or none, 'text'),
            'status': spark__audit_literal(result.status | string, 'text'),
            'started_at': spark__audit_literal(timing.started_at if timing else none, 'ts'),
            'ended_at': spark__audit_literal(timing.completed_at if timing else none, 'ts'),
            'execution_ms': spark__audit_literal(((result.execution_time or 0) * 1000) | round | int, 'int'),
            'rows_affected': rows_sql,
            'failures': spark__audit_literal(result.failures, 'int'),
            'message': spark__audit_literal((result.message | string)[:1000] if result.message is not none else none, 'text'),
        }) -%}
        {%- do records.append(record) -%}
    {%- endfor -%}

    {%- set data_columns = columns | map(attribute=0) | reject('equalto', 'seq') | list -%}
    {%- set insert_sql -%}
        insert into {{ trail }}
        with

        incoming as (
            {%- for record in records %}
            select
                cast({{ head[0] + loop.index }} as bigint) as seq,
                {%- for name, kind in columns if name != 'seq' %}
                {{ record.get(name) if record.get(name) is not none else spark__audit_literal(none, kind) }} as {{ name }}{{ ',' if not loop.last }}
                {%- endfor %}
            {{ 'union all' if not loop.last }}
            {%- endfor %}
        ),

        canonical as (
            select
                *,
                concat(
                    {%- for name, kind in columns %}
                    {{ spark__audit_canonical_line(name, kind) }}{{ ',' if not loop.last }}
                    {%- endfor %}
                ) as canonical_text
            from incoming
        ),

        {#- The chain, folded in seq order from the head: each link is (seq, prev_hash, hash). -#}
        folded as (
            select aggregate(
                array_sort(collect_list(named_struct('seq', seq, 'canonical_text', canonical_text))),
                named_struct(
                    'head', '{{ head[1] }}',
                    'links', cast(array() as array<struct<seq: bigint, prev_hash: string, record_hash: string>>)
                ),
                (chain, record) -> named_struct(
                    'head', sha2(concat(chain.head, record.canonical_text), 256),
                    'links', concat(chain.links, array(named_struct(
                        'seq', record.seq,
                        'prev_hash', chain.head,
                        'record_hash', sha2(concat(chain.head, record.canonical_text), 256)
                    )))
                )
            ) as chain
            from canonical
        ),

        links as (
            select inline(chain.links) from folded
        )

        select
            {%- for name, kind in columns %}
            canonical.{{ name }},
            {%- endfor %}
            links.prev_hash,
            links.record_hash
        from canonical
        inner join links
            on links.seq = canonical.seq
    {%- endset -%}
    {%- do run_query(insert_sql) -%}
    {%- for view_sql in spark__audit_views_sql(trail) -%}
        {%- do run_query(view_sql) -%}
    {%- endfor -%}
    {{ log("Audit trail: recorded invocation " ~ invocation_id ~ " and " ~ results | length ~ " results in " ~ trail, info=True) }}
    select 1
{%- endmacro %}


{% macro spark__audit_sql_type(kind) -%}
    {{ return({'text': 'string', 'int': 'bigint', 'ts': 'timestamp'}[kind]) }}
{%- endmacro %}

{#- audit_literal for Spark: text is `string`, and a Spark string literal escapes a quote and a
    backslash with a backslash (a result message can hold both). -#}
{% macro spark__audit_literal(value, kind) -%}
    {%- if value is none or (kind != 'text' and value == '') -%}
        {{ return('cast(null as ' ~ spark__audit_sql_type(kind) ~ ')') }}
    {%- elif kind == 'text' -%}
        {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
    {%- endif -%}
    {{ return(audit_literal(value, kind)) }}
{%- endmacro %}

{#- The canonical text of one column: '<name>=<bytes>:<text>\n' or '<name>=~\n'. -#}
{% macro spark__audit_canonical_line(name, kind) -%}
    {%- if kind == 'int' -%}
        {%- set text = 'cast(' ~ name ~ ' as string)' -%}
    {%- elif kind == 'ts' -%}
        {%- set text = 'date_format(' ~ name ~ ", \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\")" -%}
    {%- else -%}
        {%- set text = name -%}
    {%- endif -%}
    '{{ name }}=', coalesce(concat(cast(octet_length({{ text }}) as string), ':', {{ text }}), '~'), char(10)
{%- endmacro %}

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
