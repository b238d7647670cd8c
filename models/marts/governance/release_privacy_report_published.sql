{#- The copy of release_privacy_report that analytics.duckdb gets (as `release_privacy_report`):
    subject and cell counts rounded to var('governance_count_rounding'). k and l achieved stay
    exact: they state the guarantee (the smallest class), and the analytics row's are already
    noisy. The exact report stays in the vault. -#}

with

report as (

    select * from {{ ref('release_privacy_report') }}

),

final as (

    select
        release_name,
        purpose,
        quasi_identifiers,
        sensitive_attribute,
        k_required,
        k_achieved,
        l_required,
        l_achieved,
        {{ round_count('eligible_subjects') }} as eligible_subjects,
        {{ round_count('released_subjects') }} as released_subjects,
        {{ round_count('suppressed_subjects') }} as suppressed_subjects,
        {{ round_count('suppressed_cells') }} as suppressed_cells,
        generalization_node,
        k_exempt_columns
    from report

)

select * from final
