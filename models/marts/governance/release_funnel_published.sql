{#- The copy of release_funnel that analytics.duckdb gets (as `release_funnel`): every count
    rounded to var('governance_count_rounding'), so that two publications around one erasure
    or one withdrawal do not differ by exactly one. The exact funnel stays in the vault. -#}

with

funnel as (

    select * from {{ ref('release_funnel') }}

),

final as (

    select
        purpose,
        {{ round_count('input_subjects') }} as input_subjects,
        {{ round_count('erasure_requests') }} as erasure_requests,
        {{ round_count('eligible_subjects') }} as eligible_subjects,
        {{ round_count('minimized_subjects') }} as minimized_subjects,
        {{ round_count('released_subjects') }} as released_subjects
    from funnel

)

select * from final
