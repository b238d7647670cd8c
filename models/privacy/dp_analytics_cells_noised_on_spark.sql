{#- Spark: dbt-spark runs Python models only on Databricks clusters, not in a session, so the
    OpenDP draw step does not run there (docs/spark.md). This stand-in has the store's columns
    and no rows: no month is noised, none is published, no budget is spent. -#}

select
    cast(null as string) as draw_id,
    cast(null as string) as purpose,
    cast(null as string) as mechanism,
    cast(null as date) as purchase_month,
    cast(null as string) as country_group,
    cast(null as string) as category,
    cast(null as bigint) as noisy_subjects,
    cast(null as bigint) as noisy_purchases,
    cast(null as bigint) as noisy_revenue_cents,
    cast(null as double) as subjects_noise_scale,
    cast(null as double) as purchases_noise_scale,
    cast(null as double) as revenue_cents_noise_scale,
    cast(null as double) as epsilon,
    cast(null as double) as delta,
    cast(null as bigint) as max_purchases_per_cell,
    cast(null as bigint) as max_amount_eur,
    cast(null as bigint) as max_cells_per_subject,
    cast(null as bigint) as threshold,
    cast(null as boolean) as is_renoise,
    cast(null as string) as dbt_invocation_id,
    cast(null as timestamp) as as_of,
    cast(null as timestamp) as noised_at
where 1 = 0
