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
