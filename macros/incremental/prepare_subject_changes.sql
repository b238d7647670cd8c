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
        {%- set stored = run_query('select params_fingerprint from ' ~ state ~ ' limit 1')
            .columns[0].values() | list -%}
    {%- endif -%}
    {%- set rebuild_all = stored | length == 0 or stored[0] != params -%}
    {%- if rebuild_all -%}
        {{ log(model.name ~ ": recomputing every subject (first incremental build, or as_of, a registry,"
            ~ " a var or the model's code changed)", info=True) }}
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
