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
    where purchases.rejection_reason is null
        and purchases.purchased_at < {{ as_of() }}
        and purchases.purchased_at >= {{ add_days(as_of(), '-retention.retention_days') }}

),

windowed as (

    select
        subject_id,
        category,
        amount_eur,
        purchased_at >= {{ add_days(as_of(), -label_days) }} as is_in_label_window,
        purchased_at < {{ add_days(as_of(), -label_days) }}
            and purchased_at >= {{ add_days(as_of(), -(label_days + feature_days)) }} as is_in_feature_window
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
