{#- Incremental by subject: a model whose rows each belong to one subject is rebuilt only for
    the subjects whose inputs changed since the last build; every other subject's rows stay.

    A model opts in with
        config(materialized=incremental_by_subject_materialization(),
               incremental_strategy='replace_subjects', unique_key='subject_id',
               meta={'incremental_by_subject': {'inputs': [...], 'rules': [...], 'vars': [...]}},
               pre_hook="{{ prepare_subject_changes() }}",
               post_hook="{{ record_subject_inputs() }}")
    and `and {{ changed_subjects_only('subject_id') }}` in the where clause that reads its input.

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
