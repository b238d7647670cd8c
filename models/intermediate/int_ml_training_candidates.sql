{#- One row per subject with standing model_training consent at as_of: pseudonym, exact
    quasi-identifiers (vault only), features and label. Generalization happens next. -#}

with

eligible as (

    select subject_id
    from {{ ref('int_subjects_purpose_eligibility') }}
    where purpose = 'model_training' and is_eligible

),

pseudonyms as (

    select
        subject_id,
        subject_pseudonym,
        key_id
    from {{ ref('int_subject_pseudonyms') }}
    where pseudonym_domain = 'model_training'

),

subjects as (

    select * from {{ ref('stg_app__subjects') }}

),

country_groups as (

    select * from {{ ref('country_groups') }}

),

purchase_features as (

    select * from {{ ref('int_purchases_aggregated_to_subjects') }}

),

candidates as (

    select
        pseudonyms.subject_pseudonym,
        pseudonyms.key_id,
        coalesce(country_groups.country_group, 'Other') as country_group,
        {{ age_in_years('subjects.birth_date', as_of()) }} as age_years,
        subjects.annual_income_eur,
        coalesce(purchase_features.purchases_12m, 0) as purchases_12m,
        coalesce(purchase_features.spend_12m_eur, 0) as spend_12m_eur,
        coalesce(purchase_features.categories_12m, 0) as categories_12m,
        coalesce(purchase_features.has_purchase_next_90d, false) as has_purchase_next_90d

    from eligible
    inner join pseudonyms
        on eligible.subject_id = pseudonyms.subject_id
    inner join subjects
        on eligible.subject_id = subjects.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code
    left join purchase_features
        on eligible.subject_id = purchase_features.subject_id

)

select * from candidates
