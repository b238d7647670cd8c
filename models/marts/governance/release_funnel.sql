{#- Per purpose, the number of subjects at each stage from input to release: the funnel the
    evidence page draws and `make run` prints. Counts only; non-personal. -#}

with

purposes as (

    select purpose from {{ ref('purposes') }}

),

input_subjects as (

    select count(*) as subjects from {{ ref('stg_app__subjects') }}

),

erasures as (

    select count(distinct request_id) as requests from {{ ref('stg_app__erasure_requests') }}

),

eligible as (

    select purpose, count(*) as subjects
    from {{ ref('int_subjects_purpose_eligibility') }}
    where is_eligible
    group by purpose

),

minimized as (

    select 'model_training' as purpose, count(*) as subjects from {{ ref('int_ml_training_candidates') }}
    union all
    select 'marketing' as purpose, count(*) as subjects from {{ ref('marketing_audience') }}

),

released as (

    select 'model_training' as purpose, count(*) as subjects from {{ ref('ml_training_set') }}
    union all
    select 'marketing' as purpose, count(*) as subjects from {{ ref('marketing_audience') }}

),

final as (

    select
        purposes.purpose,
        cast(input_subjects.subjects as bigint) as input_subjects,
        cast(erasures.requests as bigint) as erasure_requests,
        cast(coalesce(eligible.subjects, 0) as bigint) as eligible_subjects,
        cast(minimized.subjects as bigint) as minimized_subjects,
        cast(released.subjects as bigint) as released_subjects
    from purposes
    cross join input_subjects
    cross join erasures
    left join eligible
        on purposes.purpose = eligible.purpose
    left join minimized
        on purposes.purpose = minimized.purpose
    left join released
        on purposes.purpose = released.purpose

)

select * from final
