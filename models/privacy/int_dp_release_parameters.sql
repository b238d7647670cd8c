{#- One row: the differential-privacy settings of this build, rendered when the build runs (a
    Python model cannot read vars or the invocation id itself). The noising model reads it. -#}

{%- set renoise = var('dp_renoise_periods', []) -%}
{#- A quote in the var cannot end the literal; the noising step then names the bad value. -#}
{%- set renoise_text = renoise if renoise is string else renoise | join(",") -%}
{%- set renoise_text = renoise_text | replace("'", "''") -%}
{%- set window_start = add_days(as_of(), '-retention.retention_days') -%}

with

retention as (

    select retention_days from {{ ref('purposes') }}
    where purpose = 'analytics'

),

final as (

    select
        'analytics' as purpose,
        '{{ invocation_id }}' as dbt_invocation_id,
        '{{ renoise_text }}' as renoise_periods,
        cast({{ var('dp_epsilon_per_period') }} as double) as epsilon_per_period,
        cast({{ var('dp_epsilon_cap') }} as double) as epsilon_cap,
        cast({{ var('dp_max_purchases_per_cell') }} as integer) as max_purchases_per_cell,
        cast({{ var('dp_max_amount_eur') }} as integer) as max_amount_eur,
        cast({{ var('dp_max_cells_per_subject') }} as integer) as max_cells_per_subject,
        cast({{ var('dp_threshold') }} as integer) as threshold,
        {#- The closed months wholly inside the retention window: the month holding the
            window's start may be partial, the month holding as_of is still open. #}
        {{ add_months("date_trunc('month', " ~ window_start ~ ")", 1) }} as first_period,
        {{ add_months("date_trunc('month', " ~ as_of() ~ ")", -1) }} as last_period,
        {{ as_of() }} as as_of
    from retention

)

select * from final
