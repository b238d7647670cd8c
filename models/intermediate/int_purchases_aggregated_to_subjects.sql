{#- Incremental by subject on DuckDB (macros/incremental/): only
    subjects whose valid purchases changed since the last build are recomputed; a change of
    as_of, of the purposes registry, of the window vars or of this model's code recomputes
    everyone. -#}
{{ config(
    materialized=incremental_by_subject_materialization(),
    incremental_strategy='replace_subjects',
    unique_key='subject_id',
    on_schema_change='fail',
    meta={'incremental_by_subject': {
        'inputs': [{
            'model': 'int_purchases_classified',
            'columns': ['purchase_id', 'category', 'amount_eur', 'purchased_at'],
            'where': 'rejection_reason is null and purchased_at < {as_of}',
        }],
        'rules': ['purposes'],
        'vars': ['label_window_days', 'feature_window_days'],
    }},
    pre_hook="{{ prepare_subject_changes() }}",
    post_hook="{{ record_subject_inputs() }}",
) }}

{#- Purchase features and the label for model_training, per subject. Storage limitation:
    only purchases inside the purpose's retention window (as_of minus retention_days) are
    read. The label window is the label_window_days before as_of; the feature window is the
    feature_window_days before that, so no feature sees the label period. -#}

{%- set label_days = var('label_window_days') -%}
{%- set feature_days = var('feature_window_days') -%}

with

retention as (

    select retention_days from {{ ref('purposes') }}
    where purpose = 'model_training'

),

purchases as (

    select purchases.*
    from {{ ref('int_purchases_classified') }} as purchases
    cross join retention
    where
        purchases.rejection_reason is null
        and purchases.purchased_at < {{ as_of() }}
        and purchases.purchased_at >= {{ add_days(as_of(), '-retention.retention_days') }}
        and {{ changed_subjects_only('purchases.subject_id') }}

),

windowed as (

    select
        subject_id,
        category,
        amount_eur,
        purchased_at >= {{ add_days(as_of(), -label_days) }} as is_in_label_window,
        (
            purchased_at < {{ add_days(as_of(), -label_days) }}
            and purchased_at >= {{ add_days(as_of(), -(label_days + feature_days)) }}
        ) as is_in_feature_window
    from purchases

),

aggregated as (

    select
        subject_id,
        count(case when is_in_feature_window then 1 end) as purchases_12m,
        coalesce(sum(case when is_in_feature_window then amount_eur end), 0) as spend_12m_eur,
        count(distinct case when is_in_feature_window then category end) as categories_12m,
        count(case when is_in_label_window then 1 end) > 0 as has_purchase_next_90d
    from windowed
    group by subject_id

)

select * from aggregated
