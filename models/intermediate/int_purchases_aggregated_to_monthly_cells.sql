{#- All purchase cells for the analytics purpose (legitimate interest): purchases of subjects
    who have not objected, inside the purpose's retention window, by month, country group and
    category, with the distinct subjects in each. Suppression of small cells happens in the
    release; release_privacy_report counts what it suppressed. -#}

with

eligible as (

    select subject_id
    from {{ ref('int_subjects_purpose_eligibility') }}
    where purpose = 'analytics' and is_eligible

),

retention as (

    select retention_days from {{ ref('purposes') }}
    where purpose = 'analytics'

),

purchases as (

    select purchases.*
    from {{ ref('int_purchases_classified') }} as purchases
    cross join retention
    where purchases.rejection_reason is null
        and purchases.purchased_at < {{ as_of() }}
        and purchases.purchased_at >= {{ add_days(as_of(), '-retention.retention_days') }}

),

subjects as (

    select subject_id, country_code from {{ ref('stg_app__subjects') }}

),

country_groups as (

    select * from {{ ref('country_groups') }}

),

cells as (

    select
        cast(date_trunc('month', purchases.purchased_at) as date) as purchase_month,
        coalesce(country_groups.country_group, 'Other') as country_group,
        purchases.category,
        count(distinct purchases.subject_id) as subjects,
        count(*) as purchases,
        sum(purchases.amount_eur) as revenue_eur
    from purchases
    inner join eligible
        on purchases.subject_id = eligible.subject_id
    inner join subjects
        on purchases.subject_id = subjects.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code
    group by 1, 2, 3

)

select * from cells
