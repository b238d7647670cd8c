{#- Fails with every measured risk above its threshold (vars max_singling_out_risk,
    max_linkability_risk, max_inference_risk, read when the test runs), and logs each one naming
    the release, the risk, its value and confidence interval and the var. -#}
{% test privacy_risk_within_threshold(model) %}
    {%- set failing -%}
    select release_name, risk, risk_value, ci_low, ci_high, threshold
    from (
        select
            *,
            case risk
                when 'singling_out' then {{ var('max_singling_out_risk') }}
                when 'linkability' then {{ var('max_linkability_risk') }}
                when 'inference' then {{ var('max_inference_risk') }}
            end as threshold
        from {{ model }}
    ) as measured
    where not (risk_value <= threshold)
    {%- endset -%}
    {%- if execute and load_relation(model) is not none -%}
        {%- set found = run_query(failing) -%}
        {%- for row in found.rows -%}
            {{ log("privacy_risk_within_threshold failed: " ~ row[0] ~ ": " ~ row[1] ~ " risk " ~ row[2]
                ~ " (95% CI " ~ row[3] ~ " to " ~ row[4] ~ ") is above max_" ~ row[1] ~ "_risk = " ~ row[5]
                ~ "; the release is not published", info=True) }}
        {%- endfor -%}
    {%- endif %}
    {{ failing }}
{% endtest %}
