{#- What generalization costs the model, measured in the vault: ROC AUC of the trainer's model
    on the release and on the ungeneralized features of the same subjects. Aggregates only; the
    model card reads it. -#}

with

measured as (

    select * from {{ ref('int_ml_training_utility') }}

),

final as (

    select
        cast(release_name as string) as release_name,
        cast(features as string) as features,
        cast(roc_auc as double) as roc_auc,
        cast(held_out_rows as bigint) as held_out_rows
    from measured

)

select * from final
