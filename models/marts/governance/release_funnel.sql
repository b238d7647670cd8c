{#- Per purpose, the number of subjects at each stage from input to release: the funnel the
    evidence page draws and `make run` prints. Counts only; non-personal.
    The purposes, and which views each releases, come from the registry (seed purposes). A
    purpose's minimized and released counts are those of its row-level release (one row per
    subject), listed below with the candidates it is generalized from; a purpose that releases
    only aggregates has none, so both counts are empty. -#}

{%- set row_level_releases = [
    {'release': 'ml_training_set', 'candidates': 'int_ml_training_candidates'},
    {'release': 'marketing_audience', 'candidates': 'int_marketing_audience_candidates'},
] -%}

with

purposes as (

    select
        purpose,
        released_views
    from {{ ref('purposes') }}

),

input_subjects as (

    select count(*) as subjects from {{ ref('stg_app__subjects') }}

),

erasures as (

    select count(distinct request_id) as requests from {{ ref('int_erasure_tombstones') }}

),

eligible as (

    select
        purpose,
        count(*) as subjects
    from {{ ref('int_subjects_purpose_eligibility') }}
    where is_eligible
    group by purpose

),

row_level as (

    {%- for row_level_release in row_level_releases %}
    {#- The purposes whose registry entry lists this release among its released views. #}
    select
        purposes.purpose,
        (select count(*) from {{ ref(row_level_release.candidates) }}) as minimized_subjects,
        (select count(*) from {{ ref(row_level_release.release) }}) as released_subjects
    from purposes
    where {{ matches_pattern('purposes.released_views',
        '(.*[^a-z0-9_])?' ~ row_level_release.release ~ '([^a-z0-9_].*)?') }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

final as (

    select
        purposes.purpose,
        cast(input_subjects.subjects as bigint) as input_subjects,
        cast(erasures.requests as bigint) as erasure_requests,
        cast(coalesce(eligible.subjects, 0) as bigint) as eligible_subjects,
        cast(row_level.minimized_subjects as bigint) as minimized_subjects,
        cast(row_level.released_subjects as bigint) as released_subjects
    from purposes
    cross join input_subjects
    cross join erasures
    left join eligible
        on purposes.purpose = eligible.purpose
    left join row_level
        on purposes.purpose = row_level.purpose

)

select * from final
