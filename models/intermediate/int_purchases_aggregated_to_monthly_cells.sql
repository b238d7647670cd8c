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

country_groups as (

    select * from {{ ref('country_groups') }}

),

eligible_subjects as (

    {#- The country group is resolved once per subject, not once per purchase. #}
    select
        subjects.subject_id,
        coalesce(country_groups.country_group, 'Other') as country_group
    from {{ ref('stg_app__subjects') }} as subjects
    inner join eligible
        on subjects.subject_id = eligible.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code

),

subject_cells as (

    {#- One row per subject and cell first, so the cell counts its distinct subjects with a
        plain count (one hash aggregation instead of a distinct and a second pass). #}
    select
        cast(date_trunc('month', purchases.purchased_at) as date) as purchase_month,
        eligible_subjects.country_group,
        purchases.category,
        purchases.subject_id,
        count(*) as purchases,
        sum(purchases.amount_eur) as revenue_eur
    from purchases
    inner join eligible_subjects
        on purchases.subject_id = eligible_subjects.subject_id
    group by 1, 2, 3, 4

),

cells as (

    select
        purchase_month,
        country_group,
        category,
        count(*) as subjects,
        cast(sum(purchases) as bigint) as purchases,
        sum(revenue_eur) as revenue_eur
    from subject_cells
    group by 1, 2, 3

)

select * from cells
