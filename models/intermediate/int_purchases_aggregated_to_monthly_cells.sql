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
    where
        purchases.rejection_reason is null
        and purchases.purchased_at < {{ as_of() }}
        and purchases.purchased_at >= {{ add_days(as_of(), '-retention.retention_days') }}

),

country_groups as (

    select * from {{ ref('country_groups') }}

),

eligible_subjects as (

    select
        subjects.subject_id,
        coalesce(country_groups.country_group, 'Other') as country_group
    from {{ ref('stg_app__subjects') }} as subjects
    inner join eligible
        on subjects.subject_id = eligible.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code

),

subject_months as (

    {#- One row per subject, month and category first, keyed without the country group (it
        follows from the subject). Counting a cell's subjects is then a plain count, and this
        aggregation spills to disk within half the memory limit, so it can run next to another
        large model at 10M subjects (docs/benchmarks.md). -#}
    select
        cast(date_trunc('month', purchased_at) as date) as purchase_month,
        category,
        subject_id,
        count(*) as purchases,
        sum(amount_eur) as revenue_eur
    from purchases
    where subject_id in (select eligible_subjects.subject_id from eligible_subjects)
    group by 1, 2, 3

),

cells as (

    select
        subject_months.purchase_month,
        eligible_subjects.country_group,
        subject_months.category,
        count(*) as subjects,
        cast(sum(subject_months.purchases) as bigint) as purchases,
        sum(subject_months.revenue_eur) as revenue_eur
    from subject_months
    inner join eligible_subjects
        on subject_months.subject_id = eligible_subjects.subject_id
    group by 1, 2, 3

)

select * from cells
