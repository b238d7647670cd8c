{#- Incremental by subject: a model whose rows each belong to one subject is rebuilt only for
    the subjects whose inputs changed since the last build; every other subject's rows stay.

    A model opts in with
        config(materialized=incremental_by_subject_materialization(),
               incremental_strategy='replace_subjects', unique_key='subject_id',
               meta={'incremental_by_subject': {'inputs': [...], 'rules': [...], 'vars': [...]}},
               pre_hook="{{ prepare_subject_changes() }}",
               post_hook="{{ record_subject_inputs() }}")
    and `{{ changed_subjects_only('subject_id') }}` in the where clause that reads its input.

    How it decides what changed. Next to the model, a state table <model>__subject_inputs keeps,
    per subject, the number and an order-free fingerprint (a sum of row hashes) of the input
    rows the model read: each input is {'model', 'columns', 'where'}, '{as_of}' in 'where'
    standing for the build's as_of. A build compares them with the inputs now and recomputes
    every subject whose rows differ in any way: new events (late ones too), events that became
    invalid (a conflicting event_id arriving later), and subjects that are gone (erased) or
    new. The state also keeps one fingerprint of what every row depends on besides its
    subject's inputs: as_of, the contents of the registries in 'rules', the dbt vars in 'vars'
    and the model's own code. When that differs, the build recomputes every subject (and
    says so in the log), so moving as_of or editing the purposes registry is always safe.

    Engines: DuckDB runs this incrementally (delete the changed subjects' rows, insert their
    new rows, in one transaction with the state update). Other engines build the model as a
    plain table for now (see incremental_by_subject_materialization). -#}

{% macro incremental_by_subject_materialization() -%}
    {{ return(adapter.dispatch('incremental_by_subject_materialization', 'gdpr_pipeline')()) }}
{%- endmacro %}
{% macro default__incremental_by_subject_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
{% macro duckdb__incremental_by_subject_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}


{#- A row's hash over the given columns (not keyed: it only detects change). -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'gdpr_pipeline')(columns)) }}
{%- endmacro %}
{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{#- An order-free, overflow-free sum of 64-bit row hashes. -#}
{% macro fingerprint_sum(hash_sql) -%}
    {{ return(adapter.dispatch('fingerprint_sum', 'gdpr_pipeline')(hash_sql)) }}
{%- endmacro %}
{% macro duckdb__fingerprint_sum(hash_sql) -%}
    sum(cast({{ hash_sql }} as hugeint))
{%- endmacro %}
{% macro default__fingerprint_sum(hash_sql) -%}
    sum(cast({{ hash_sql }} as decimal(38, 0)))
{%- endmacro %}


{% macro _subject_increment_spec() -%}
    {%- set spec = (config.get('meta') or {}).get('incremental_by_subject') -%}
    {%- if not spec -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " uses the incremental_by_subject hooks but has no meta.incremental_by_subject") }}
    {%- endif -%}
    {{ return(spec) }}
{%- endmacro %}

{% macro subject_state_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__subject_inputs'}, type='table')) }}
{%- endmacro %}

{% macro subject_changes_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__subject_changes'}, type='table')) }}
{%- endmacro %}

{% macro _is_incremental_by_subject() -%}
    {{ return(execute and config.get('materialized') == 'incremental') }}
{%- endmacro %}


{#- Per subject, the count and fingerprint of the input rows the model reads. -#}
{% macro subject_fingerprints(spec) -%}
    select
        subject_id,
        count(*) as input_rows,
        {{ gdpr_pipeline.fingerprint_sum('row_hash') }} as input_fingerprint
    from (
        {%- for input in spec['inputs'] %}
        select subject_id, {{ gdpr_pipeline.row_hash(input['columns']) }} as row_hash
        from {{ ref(input['model']) }}
        where {{ input['where'] | replace('{as_of}', as_of()) }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as inputs
    group by subject_id
{%- endmacro %}


{#- Everything a row depends on besides its subject's inputs, as one fingerprint. -#}
{% macro subject_increment_params(spec) -%}
    {%- set parts = ['as_of=' ~ as_of(), 'code=' ~ model.raw_code] -%}
    {%- for name in spec.get('rules', []) -%}
        {%- set table = run_query('select * from ' ~ ref(name)) -%}
        {%- set rows = [] -%}
        {%- for row in table.rows -%}
            {%- do rows.append(row.values() | map('string') | list | tojson) -%}
        {%- endfor -%}
        {%- do parts.append(name ~ '=' ~ (table.column_names | list | tojson) ~ ':' ~ (rows | sort | join('\n'))) -%}
    {%- endfor -%}
    {%- for name in spec.get('vars', []) -%}
        {%- do parts.append('var.' ~ name ~ '=' ~ var(name)) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- pre-hook: work out which subjects to recompute, into <model>__subject_changes. When what
    every row depends on changed (or the state is missing), every subject is recomputed: the
    model's rows and the state are emptied first, in the build's transaction. -#}
{% macro prepare_subject_changes() -%}
    {%- if not (gdpr_pipeline._is_incremental_by_subject() and is_incremental()) -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set spec = gdpr_pipeline._subject_increment_spec() -%}
    {%- set state = gdpr_pipeline.subject_state_relation(this) -%}
    {%- set changes = gdpr_pipeline.subject_changes_relation(this) -%}
    {%- set params = gdpr_pipeline.subject_increment_params(spec) -%}
    {%- set existing_state = adapter.get_relation(state.database, state.schema, state.identifier) -%}
    {%- set stored = [] -%}
    {%- if existing_state is not none -%}
        {%- set stored = run_query('select params_fingerprint from ' ~ state ~ ' limit 1').columns[0].values() | list -%}
    {%- endif -%}
    {%- set rebuild_all = stored | length == 0 or stored[0] != params -%}
    {%- if rebuild_all -%}
        {{ log(model.name ~ ": recomputing every subject (first incremental build, or as_of, a registry, a var or the model's code changed)", info=True) }}
    {%- endif -%}
    {%- if rebuild_all %}
    delete from {{ this }};
    {%- if existing_state is not none %}
    drop table {{ state }};
    {%- endif %}
    {%- endif %}
    create or replace table {{ changes }} as
    with

    current_inputs as (

        {{ gdpr_pipeline.subject_fingerprints(spec) | indent(8) }}

    )

    {%- if rebuild_all %}

    select subject_id, input_rows, input_fingerprint
    from current_inputs
    {%- else %},

    previous_inputs as (

        select subject_id, input_rows, input_fingerprint
        from {{ state }}

    )

    select
        coalesce(current_inputs.subject_id, previous_inputs.subject_id) as subject_id,
        current_inputs.input_rows,
        current_inputs.input_fingerprint
    from current_inputs
    full outer join previous_inputs
        on current_inputs.subject_id = previous_inputs.subject_id
    where current_inputs.subject_id is null
        or previous_inputs.subject_id is null
        or current_inputs.input_rows <> previous_inputs.input_rows
        or current_inputs.input_fingerprint <> previous_inputs.input_fingerprint
    {%- endif %}
{%- endmacro %}


{#- In the model's input filter: on an incremental build, only the subjects to recompute. -#}
{% macro changed_subjects_only(column='subject_id') -%}
    {%- if gdpr_pipeline._is_incremental_by_subject() and is_incremental() -%}
        and {{ column }} in (select subject_id from {{ gdpr_pipeline.subject_changes_relation(this) }})
    {%- endif -%}
{%- endmacro %}


{#- The custom incremental strategy 'replace_subjects': drop the recomputed subjects' rows
    (those with no rows now included, e.g. erased ones), then insert their new rows. -#}
{% macro get_incremental_replace_subjects_sql(arg_dict) -%}
    {{ return(adapter.dispatch('replace_subjects_sql', 'gdpr_pipeline')(arg_dict)) }}
{%- endmacro %}
{% macro default__replace_subjects_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where subject_id in (select subject_id from {{ gdpr_pipeline.subject_changes_relation(target) }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- post-hook: record the inputs this build read, in the build's transaction. -#}
{% macro record_subject_inputs() -%}
    {%- if not gdpr_pipeline._is_incremental_by_subject() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set spec = gdpr_pipeline._subject_increment_spec() -%}
    {%- set state = gdpr_pipeline.subject_state_relation(this) -%}
    {%- set changes = gdpr_pipeline.subject_changes_relation(this) -%}
    {%- set params = gdpr_pipeline.subject_increment_params(spec) -%}
    {%- if is_incremental() %}
    {%- set recomputed = run_query('select count(*) from ' ~ changes).columns[0].values()[0] %}
    {{- log(model.name ~ ": recomputed the rows of " ~ recomputed ~ " subjects", info=True) }}
    create table if not exists {{ state }} as
    select subject_id, input_rows, input_fingerprint, '{{ params }}' as params_fingerprint
    from {{ changes }}
    where false;
    delete from {{ state }}
    where subject_id in (select subject_id from {{ changes }});
    insert into {{ state }}
    select subject_id, input_rows, input_fingerprint, '{{ params }}' as params_fingerprint
    from {{ changes }}
    where input_rows is not null;
    drop table {{ changes }}
    {%- else %}
    create or replace table {{ state }} as
    select subject_id, input_rows, input_fingerprint, '{{ params }}' as params_fingerprint
    from (
        {{ gdpr_pipeline.subject_fingerprints(spec) | indent(8) }}
    ) as current_inputs
    {%- endif %}
{%- endmacro %}
