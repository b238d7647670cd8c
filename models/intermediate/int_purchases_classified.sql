{#- Every purchase, with the reason it is rejected (null when valid). Rejected purchases go to
    the quarantine instead of vanishing. -#}

with

purchases as {{ not_materialized() }} (

    select * from {{ ref('stg_app__purchases') }}

),

subjects as (

    select subject_id from {{ ref('stg_app__subjects') }}

),

repeated_purchase_id_hashes as (

    {#- Grouping 64-bit hashes is cheaper than grouping the ids themselves (docs/benchmarks.md);
        the ids behind a repeated hash are then counted exactly, so a hash collision between
        two different ids changes nothing. #}
    select {{ row_hash(['purchase_id']) }} as purchase_id_hash
    from purchases
    where purchase_id is not null
    group by {{ row_hash(['purchase_id']) }}
    having count(*) > 1

),

repeated_purchase_ids as (

    select purchase_id
    from purchases
    where
        purchase_id is not null
        and {{ row_hash(['purchase_id']) }} in (
            select repeated_purchase_id_hashes.purchase_id_hash from repeated_purchase_id_hashes
        )
    group by purchase_id
    having count(*) > 1

),

copies_counted as (

    {#- Numbering copies needs a window over every row, which is the costliest step of the
        model; only ids that occur more than once can have a second copy, so the window runs
        on those rows alone and every other row is its id's first copy. Same result. #}
    select
        purchases.*,
        1 as copy_number
    from purchases
    where
        not exists (
            select 1 from repeated_purchase_ids
            where repeated_purchase_ids.purchase_id = purchases.purchase_id
        )

    union all

    select
        purchases.*,
        row_number()
            over (
                partition by purchases.purchase_id
                order by purchases.purchased_at, purchases.subject_id
            )
            as copy_number
    from purchases
    where exists (
        select 1 from repeated_purchase_ids
        where repeated_purchase_ids.purchase_id = purchases.purchase_id
    )

),

copies_flagged as (

    {#- Whether the subject is known, spelled per engine (macros/cross_engine/). #}
    {{ known_subject_flagged('copies_counted', 'subjects') }}

),

classified as (

    select
        purchase_id,
        subject_id,
        category,
        amount_eur,
        case
            when purchase_id is null then 'missing_purchase_id'
            when copy_number > 1 then 'duplicate_purchase_id'
            when subject_id is null then 'missing_subject_id'
            when not is_known_subject then 'unknown_subject'
            when purchased_at is null then 'missing_purchased_at'
            when amount_eur is null then 'missing_amount'
        end as rejection_reason,
        purchased_at

    from copies_flagged

)

select * from classified
