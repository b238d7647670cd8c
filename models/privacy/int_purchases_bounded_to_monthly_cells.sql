{#- The un-noised input of the differentially private analytics release: every cell of every
    closed month (the public key set: months x country groups x dp_categories, empty cells
    included), with each person's contribution bounded so that one person changes the cells
    of a month by at most a known amount (the sensitivity the noise is calibrated to):
    at most dp_max_cells_per_subject cells a month (the earliest ones), at most
    dp_max_purchases_per_cell purchases a cell (the earliest ones), and each amount clamped to
    [0, dp_max_amount_eur], in integer cents. Vault only: these are exact counts, and a view
    (never stored). The noising step reads it with a range filter on purchase_month, which
    DuckDB and Spark push through the left join below into `bounded` and through both
    windows, whose partitions hold the month: a build with no month to noise bounds nothing.
    Keep purchase_month in both partitions and in the join for that. -#}

with

parameters as (

    select * from {{ ref('int_dp_release_parameters') }}

),

categories as (

    {%- set categories = [] %}
    {%- for category in var('dp_categories') %}
    {%- do categories.append("'" ~ category ~ "'") %}
    {%- endfor %}
    select {{ rows_of(categories) }} as category

),

eligible as (

    select subject_id
    from {{ ref('int_subjects_purpose_eligibility') }}
    where purpose = 'analytics' and is_eligible

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

purchases as (

    select
        purchases.subject_id,
        purchases.category,
        purchases.purchase_id,
        purchases.amount_eur,
        cast(date_trunc('month', purchases.purchased_at) as date) as purchase_month,
        purchases.purchased_at
    from {{ ref('int_purchases_classified') }} as purchases
    cross join parameters
    where
        purchases.rejection_reason is null
        and purchases.purchased_at < parameters.as_of
        and purchases.purchased_at >= cast(parameters.first_period as timestamp)
        and cast(date_trunc('month', purchases.purchased_at) as date) <= parameters.last_period
        and purchases.category in (select categories.category from categories)
        and purchases.subject_id in (select eligible_subjects.subject_id from eligible_subjects)

),

purchases_ranked as (

    select
        *,
        row_number() over (
            partition by subject_id, purchase_month, category
            order by purchased_at, purchase_id
        ) as purchase_rank
    from purchases

),

subject_cells as (

    select
        purchases_ranked.subject_id,
        purchases_ranked.purchase_month,
        purchases_ranked.category,
        count(*) as purchases,
        sum(
            cast(
                round(
                    least(greatest(purchases_ranked.amount_eur, 0), parameters.max_amount_eur) * 100
                ) as bigint
            )
        ) as revenue_cents,
        min(purchases_ranked.purchased_at) as first_purchased_at
    from purchases_ranked
    cross join parameters
    where purchases_ranked.purchase_rank <= parameters.max_purchases_per_cell
    group by 1, 2, 3

),

subject_cells_ranked as (

    select
        *,
        row_number() over (
            partition by subject_id, purchase_month
            order by first_purchased_at, category
        ) as cell_rank
    from subject_cells

),

bounded as (

    select
        subject_cells_ranked.purchase_month,
        eligible_subjects.country_group,
        subject_cells_ranked.category,
        count(*) as subjects,
        sum(subject_cells_ranked.purchases) as purchases,
        sum(subject_cells_ranked.revenue_cents) as revenue_cents
    from subject_cells_ranked
    inner join eligible_subjects
        on subject_cells_ranked.subject_id = eligible_subjects.subject_id
    cross join parameters
    where subject_cells_ranked.cell_rank <= parameters.max_cells_per_subject
    group by 1, 2, 3

),

month_starts as (

    select {{ month_series('first_period', 'last_period') }} as purchase_month
    from parameters
    where first_period <= last_period

),

months as (

    select cast(purchase_month as date) as purchase_month
    from month_starts

),

other as (

    select 'Other' as country_group

),

groups as (

    {#- The seed's country groups and Other (a country the seed does not list). #}
    select distinct coalesce(country_groups.country_group, other.country_group) as country_group
    from country_groups
    full outer join other
        on country_groups.country_group = other.country_group

),

public_cells as (

    select
        months.purchase_month,
        groups.country_group,
        categories.category
    from months
    cross join groups
    cross join categories

),

final as (

    select
        public_cells.purchase_month,
        public_cells.country_group,
        public_cells.category,
        cast(coalesce(bounded.subjects, 0) as bigint) as subjects,
        cast(coalesce(bounded.purchases, 0) as bigint) as purchases,
        cast(coalesce(bounded.revenue_cents, 0) as bigint) as revenue_cents
    from public_cells
    left join bounded
        on
            public_cells.purchase_month = bounded.purchase_month
            and public_cells.country_group = bounded.country_group
            and public_cells.category = bounded.category

)

select * from final
