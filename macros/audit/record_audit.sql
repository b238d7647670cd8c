{#- on-run-end: append this invocation to the hash-chained audit trail in the vault
    (audit.trail), before the publish hook, so nothing is published without its record.

    One record for the invocation, then one per result (models, seeds, snapshots, hooks: 'node';
    data and unit tests: 'test'), in the order dbt reported them. Every record carries a
    sequence number (seq, 1, 2, ... with no gaps), the hash of the record before it (prev_hash;
    64 zeros before the first) and its own hash:

        record_hash = sha256_hex(prev_hash || canonical(record))

    canonical(record) is, for every column of audit_columns() in that order (seq first,
    prev_hash and record_hash excluded), the line

        <column>=<n>:<text>\n      or      <column>=~\n   when the value is null

    where <text> is the value as text and <n> its length in UTF-8 bytes. As text: varchar as
    is; bigint in decimal digits; timestamp (UTC) as strftime '%Y-%m-%dT%H:%M:%S.%fZ'.
    gdpr_pipeline.evidence.verify recomputes exactly this in Python.

    The chain is appended by one INSERT that reads the current head and computes every new
    hash (a recursive CTE), with seq the primary key: two writers that raced for the same
    head could not both commit. DuckDB lets one process at a time open the vault for writing,
    so concurrent dbt invocations on one warehouse are refused by the engine; run one at a
    time. -#}
{% macro record_audit(results, failure=none, publish=none) -%}
    {{ return(adapter.dispatch('record_audit', 'gdpr_pipeline')(results, failure, publish)) }}
{%- endmacro %}

{% macro default__record_audit(results, failure=none, publish=none) -%}
    {%- if execute -%}
        {{ log("Audit trail: not implemented for the " ~ adapter.type()
            ~ " adapter; this invocation is NOT recorded.", info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- failure: set by a guard that stops the invocation in on-run-start (macros/guards/), which
    records it here before raising: on-run-end never runs then.
    publish: {'status': 'published' | 'not_published', 'message': ...}, from the publish step
    after it renamed the file or decided not to: one record of type 'publish' is appended. -#}
{% macro duckdb__record_audit(results, failure=none, publish=none) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'seed', 'snapshot', 'test', 'retry') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set columns = audit_columns() -%}
    {%- set trail = api.Relation.create(database=target.database, schema='audit', identifier='trail') -%}
    {%- set now = modules.datetime.datetime.now(modules.pytz.utc) -%}

    {%- set create_sql -%}
        create schema if not exists {{ trail.database }}.audit;
        create table if not exists {{ trail }} (
            {%- for name, kind in columns %}
            {{ name }} {{ audit_sql_type(kind) }}{{ ' primary key' if name == 'seq' }},
            {%- endfor %}
            prev_hash varchar not null,
            record_hash varchar not null
        );
    {%- endset -%}
    {%- do run_query(create_sql) -%}

    {#- The invocation record. -#}
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
    {%- set git_commit = env_var('GDPR_GIT_COMMIT', '') -%}
    {%- set common = {
        'invocation_id': audit_literal(invocation_id, 'text'),
        'recorded_at': audit_literal(now, 'ts'),
        'command': audit_literal(flags.WHICH, 'text'),
    } -%}
    {%- set records = [] -%}
    {%- set invocation = common.copy() -%}
    {%- do invocation.update({
        'record_type': audit_literal('invocation', 'text'),
        'status': audit_literal('error' if failed or failure else 'success', 'text'),
        'started_at': audit_literal(run_started_at, 'ts'),
        'ended_at': audit_literal(now, 'ts'),
        'execution_ms': audit_literal(((now - run_started_at).total_seconds() * 1000) | round | int, 'int'),
        'message': audit_literal(failure[:1000] if failure else summary | join(' '), 'text'),
        'result_count': audit_literal(results | length, 'int'),
        'dbt_version': audit_literal(dbt_version, 'text'),
        'adapter_type': audit_literal(adapter.type(), 'text'),
        'adapter_version': "cast(getvariable('gdpr_dbt_adapter_version') as varchar)",
        'engine_version': 'cast(version() as varchar)',
        'git_commit': audit_literal(git_commit or none, 'text'),
        'as_of': as_of_or_null(),
        'key_id': pseudonym_key_id(),
        'target_name': audit_literal(target.name, 'text'),
        'dbt_vars': audit_literal(tojson(invocation_args_dict.get('vars') or {}, sort_keys=true), 'text'),
    }) -%}
    {%- do records.append(invocation) -%}

    {#- One record per result. Rows affected: what the adapter reported (seeds), else the rows
        of a table the model just built. -#}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- set execute_timing = result.timing | selectattr('name', 'equalto', 'execute') | list -%}
        {%- set timing = execute_timing[0] if execute_timing else (result.timing[-1] if result.timing else none) -%}
        {%- set rows = (result.adapter_response or {}).get('rows_affected') -%}
        {%- if rows is none and node.resource_type == 'model' and result.status == 'success'
              and node.config.materialized == 'table' and node.relation_name -%}
            {%- set rows_sql = '(select count(*) from ' ~ node.relation_name ~ ')' -%}
        {%- else -%}
            {%- set rows_sql = audit_literal(rows, 'int') -%}
        {%- endif -%}
        {%- set is_test = node.resource_type in ('test', 'unit_test') -%}
        {%- set record = common.copy() -%}
        {%- do record.update({
            'record_type': audit_literal('test' if is_test else 'node', 'text'),
            'unique_id': audit_literal(node.unique_id, 'text'),
            'resource_type': audit_literal(node.resource_type, 'text'),
            'node_name': audit_literal(node.name, 'text'),
            'relation_name': audit_literal(node.relation_name or none, 'text'),
            'status': audit_literal(result.status | string, 'text'),
            'started_at': audit_literal(timing.started_at if timing else none, 'ts'),
            'ended_at': audit_literal(timing.completed_at if timing else none, 'ts'),
            'execution_ms': audit_literal(((result.execution_time or 0) * 1000) | round | int, 'int'),
            'rows_affected': rows_sql,
            'failures': audit_literal(result.failures, 'int'),
            'message': audit_literal((result.message | string)[:1000] if result.message is not none else none, 'text'),
        }) -%}
        {%- do records.append(record) -%}
    {%- endfor -%}

    {%- if publish is not none -%}
        {%- set record = common.copy() -%}
        {%- do record.update({
            'record_type': audit_literal('publish', 'text'),
            'status': audit_literal(publish.status, 'text'),
            'message': audit_literal(publish.message[:1000], 'text'),
            'as_of': as_of_or_null(),
            'key_id': pseudonym_key_id(),
        }) -%}
        {%- set records = [record] -%}
    {%- endif -%}
    {%- set data_columns = columns | map(attribute=0) | reject('equalto', 'seq') | list -%}
    {%- set insert_sql -%}
        insert into {{ trail }} ({{ columns | map(attribute=0) | join(', ') }}, prev_hash, record_hash)
        with recursive

        head as (
            select
                coalesce(max(seq), 0) as seq,
                coalesce(arg_max(record_hash, seq), repeat('0', 64)) as record_hash
            from {{ trail }}
        ),

        incoming as (
            {%- for record in records %}
            select
                {{ loop.index }} as ordinal,
                {%- for name, kind in columns if name != 'seq' %}
                {%- set value = record.get(name) if record.get(name) is not none else audit_literal(none, kind) %}
                {{ value }} as {{ name }}{{ ',' if not loop.last }}
                {%- endfor %}
            {{ 'union all' if not loop.last }}
            {%- endfor %}
        ),

        numbered as (
            select head.seq + incoming.ordinal as seq, {{ data_columns | join(', ') }}
            from incoming
            cross join head
        ),

        canonical as (
            select
                *,
                {%- for name, kind in columns %}
                {{ duckdb__audit_canonical_line(name, kind) }}{{ ' ||' if not loop.last }}
                {%- endfor %}
                as canonical_text
            from numbered
        ),

        chain (seq, record_hash) as (
            select seq, record_hash from head
            union all
            select canonical.seq, sha256(chain.record_hash || canonical.canonical_text)
            from chain
            inner join canonical
                on canonical.seq = chain.seq + 1
        )

        select
            {%- for name, kind in columns %}
            canonical.{{ name }},
            {%- endfor %}
            previous.record_hash as prev_hash,
            current.record_hash as record_hash
        from canonical
        inner join chain as current
            on current.seq = canonical.seq
        inner join chain as previous
            on previous.seq = canonical.seq - 1
        order by canonical.seq
    {%- endset -%}
    {%- do run_query(insert_sql) -%}
    {%- do run_query(audit_views_sql(trail)) -%}
    {%- if publish is none -%}
    {{ log("Audit trail: recorded invocation " ~ invocation_id ~ " and " ~ results | length
        ~ " results in " ~ trail, info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The audit trail on Spark: the same records, columns and hash chain as on DuckDB
    (record_audit.sql; the canonical form is documented there and in gdpr_pipeline/audit.py),
    in the Parquet table <schema>_audit.trail of the metastore, with the same reader views.

    What differs: Spark SQL has no recursive CTE or primary key, so the chain is folded by
    `aggregate` over the new records in seq order, starting from the head the hook reads just
    before; and nothing in the table stops a second writer that read the same head. One writer
    at a time is what the embedded Derby metastore enforces locally (one process); on a shared
    metastore, run one build at a time per schema prefix (a Delta table would reject the second
    commit; docs/spark.md). -#}
{% macro spark__record_audit(results, failure=none, publish=none) -%}
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
    {%- set head_sql = "select coalesce(max(seq), 0), coalesce(max_by(record_hash, seq), repeat('0', 64)) from " -%}
    {%- set head = run_query(head_sql ~ trail).rows[0] -%}

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
        'status': spark__audit_literal('error' if failed or failure else 'success', 'text'),
        'started_at': spark__audit_literal(run_started_at, 'ts'),
        'ended_at': spark__audit_literal(now, 'ts'),
        'execution_ms': spark__audit_literal(((now - run_started_at).total_seconds() * 1000) | round | int, 'int'),
        'message': spark__audit_literal(failure[:1000] if failure else summary | join(' '), 'text'),
        'result_count': spark__audit_literal(results | length, 'int'),
        'dbt_version': spark__audit_literal(dbt_version, 'text'),
        'adapter_type': spark__audit_literal(adapter.type(), 'text'),
        'adapter_version': spark__audit_literal(env_var('GDPR_DBT_ADAPTER_VERSION', '') or none, 'text'),
        'engine_version': 'cast(version() as string)',
        'git_commit': spark__audit_literal(env_var('GDPR_GIT_COMMIT', '') or none, 'text'),
        'as_of': as_of_or_null(),
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

    {#- A publish record (from a publish step), or a guard's failure: as duckdb__record_audit. -#}
    {%- if publish is not none -%}
        {%- set record = common.copy() -%}
        {%- do record.update({
            'record_type': spark__audit_literal('publish', 'text'),
            'status': spark__audit_literal(publish.status, 'text'),
            'message': spark__audit_literal(publish.message[:1000], 'text'),
            'as_of': as_of_or_null(),
            'key_id': pseudonym_key_id() if key_view_present else spark__audit_literal(none, 'text'),
        }) -%}
        {%- set records = [record] -%}
    {%- endif -%}
    {%- set data_columns = columns | map(attribute=0) | reject('equalto', 'seq') | list -%}
    {%- set insert_sql -%}
        insert into {{ trail }}
        with

        incoming as (
            {%- for record in records %}
            select
                cast({{ head[0] + loop.index }} as bigint) as seq,
                {%- for name, kind in columns if name != 'seq' %}
                {%- set value = record.get(name) if record.get(name) is not none
                    else spark__audit_literal(none, kind) %}
                {{ value }} as {{ name }}{{ ',' if not loop.last }}
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
    {%- set recorded = "Audit trail: recorded invocation " ~ invocation_id ~ " and " ~ results | length ~ " results" -%}
    {{ log(recorded ~ " in " ~ trail, info=True) }}
    select 1
{%- endmacro %}
