{#- Per released view: the quasi-identifiers, the k (and l) achieved and the subjects (or
    cells) suppressed to reach them. Evidence and the model card read this. -#}

{%- set ml = release_meta('ml_training_set') -%}
{%- set audience = release_meta('marketing_audience') %}

with

ml_training_set as (
    {#- Measured on the latest version, the one `ref('ml_training_set')` and the trainer read.
        Every version selects all rows of int_ml_training_released, so they share one k
        and l; the k_anonymous and l_diverse tests still run on each version. #}
    {{ privacy_metrics('ml_training_set', ml.purpose, ref('ml_training_set'),
        ml.quasi_identifiers, ref('int_ml_training_candidates'), ml.sensitive_attribute) }}
),

marketing_audience as (
    {{ privacy_metrics('marketing_audience', audience.purpose, ref('marketing_audience'),
        audience.quasi_identifiers, ref('int_marketing_audience_candidates'),
        audience.sensitive_attribute) }}
),

analytics_cells as (
    {#- The differentially private release: the cells of every published month, and those
        whose noisy subject count reached the threshold (docs/policy.md, section 7). #}
    select
        count(*) as cells,
        count(case when noisy_subjects >= threshold then 1 end) as released_cells,
        min(case when noisy_subjects >= threshold then noisy_subjects end) as smallest_released_cell
    from {{ ref('dp_analytics_cells_latest') }}

),

analytics_purchases_monthly as (

    select
        'analytics_purchases_monthly' as release_name,
        'analytics' as purpose,
        'purchase_month, country_group, category' as quasi_identifiers,
        cast(null as string) as sensitive_attribute,
        {{ var('k_min') }} as k_required,
        coalesce(smallest_released_cell, 0) as k_achieved,
        cast(null as integer) as l_required,
        cast(null as integer) as l_achieved,
        cast(null as bigint) as eligible_subjects,
        cast(null as bigint) as released_subjects,
        cells - released_cells as suppressed_cells
    from analytics_cells

),

unioned as (

    select * from ml_training_set
    union all
    select * from marketing_audience
    union all
    select * from analytics_purchases_monthly

),

generalization as (

    select
        'ml_training_set' as release_name,
        concat(
            node, ' (discernibility ', cast(cast(discernibility as bigint) as string), ')'
        ) as generalization_node
    from {{ ref('int_ml_training_lattice') }}
    where is_chosen

),

k_exemptions as (
    {#- The columns each release leaves out of its k class, with the policy's reason. #}
    {%- for name in ['ml_training_set', 'marketing_audience'] %}
    select
        '{{ name }}' as release_name,
        '{{ k_exempt_columns(name) | replace("'", "''") }}' as k_exempt_columns
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

final as (

    select
        unioned.release_name,
        unioned.purpose,
        unioned.quasi_identifiers,
        unioned.sensitive_attribute,
        cast(unioned.k_required as integer) as k_required,
        cast(unioned.k_achieved as integer) as k_achieved,
        cast(unioned.l_required as integer) as l_required,
        cast(unioned.l_achieved as integer) as l_achieved,
        cast(unioned.eligible_subjects as bigint) as eligible_subjects,
        cast(unioned.released_subjects as bigint) as released_subjects,
        cast(
            unioned.eligible_subjects - unioned.released_subjects as bigint
        ) as suppressed_subjects,
        cast(unioned.suppressed_cells as bigint) as suppressed_cells,
        cast(generalization.generalization_node as string) as generalization_node,
        cast(k_exemptions.k_exempt_columns as string) as k_exempt_columns
    from unioned
    left join generalization
        on unioned.release_name = generalization.release_name
    left join k_exemptions
        on unioned.release_name = k_exemptions.release_name

)

select * from final
