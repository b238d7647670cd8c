{#- One row per subject with standing marketing consent at as_of: pseudonym in the marketing
    domain and exact targeting attributes (vault only). Generalization happens in the
    marketing_audience release. -#}

with

eligible as (

    select subject_id
    from {{ ref('int_subjects_purpose_eligibility') }}
    where purpose = 'marketing' and is_eligible

),

pseudonyms as (

    select
        subject_id,
        subject_pseudonym,
        key_id
    from {{ ref('int_subject_pseudonyms') }}
    where pseudonym_domain = 'marketing'

),

subjects as (

    select * from {{ ref('stg_app__subjects') }}

),

country_groups as (

    select * from {{ ref('country_groups') }}

),

candidates as (

    select
        pseudonyms.subject_pseudonym,
        pseudonyms.key_id,
        coalesce(country_groups.country_group, 'Other') as country_group,
        {{ age_in_years('subjects.birth_date', as_of()) }} as age_years

    from eligible
    inner join pseudonyms
        on eligible.subject_id = pseudonyms.subject_id
    inner join subjects
        on eligible.subject_id = subjects.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code

)

select * from candidates
