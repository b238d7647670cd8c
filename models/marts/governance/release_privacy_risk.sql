{#- Per row-level release and risk: anonymeter's measured singling-out, linkability and
    inference risk with its 95% confidence interval and the threshold (a var) the build holds
    it to; the test privacy_risk_within_threshold fails the build above it. Aggregates only. -#}

with

measured as (

    select * from {{ ref('int_ml_training_privacy_risk') }}

),

final as (

    select
        cast(release_name as string) as release_name,
        cast(risk as string) as risk,
        cast(note as string) as note,
        cast(risk_value as double) as risk_value,
        cast(ci_low as double) as ci_low,
        cast(ci_high as double) as ci_high,
        cast(max_risk as double) as max_risk,
        cast(attacks as integer) as attacks,
        cast(attack_rate as double) as attack_rate,
        cast(control_rate as double) as control_rate,
        risk_value <= max_risk as is_within_threshold
    from measured

)

select * from final
