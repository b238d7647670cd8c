{#- The bounded sample the anonymeter attacks run on (vault only; int_ml_training_privacy_risk).
    control: eligible subjects held out of the measured release, at most
    var privacy_risk_control_rows and a third of the eligible, chosen by a seeded hash.
    attacker: what the CRM attacker knows of every other eligible subject, the vault's exact
    values recoded by the release's published rule (its one lattice node).
    release: the released rows of the non-control subjects, sampled per class in proportion to
    var privacy_risk_sample_rows, never fewer than k_min rows a class; a class that falls below
    k_min once the control is held out is left out of the measurement, never padded. The
    sample is bounded by the vars and the number of classes, not by the number of subjects. -#}

{%- set columns = ml_training_hierarchies() | map(attribute='name') | list %}
{%- set seed = "'" ~ var('privacy_risk_seed') ~ "'" %}

with

candidates as (

    select * from {{ ref('int_ml_training_candidates') }}

),

{{ lattice_apply(
    source='candidates',
    subject_column='subject_pseudonym',
    hierarchies=ml_training_hierarchies(),
    sensitive_column='has_purchase_next_90d',
    k=var('k_min'),
    l=var('l_min'),
    lattice_relation=ref('int_ml_training_lattice'),
) }},

released as (

    select * from {{ ref('int_ml_training_released') }}

),

eligible_ordered as (

    select
        subject_key,
        row_number() over (order by md5(concat(subject_key, {{ seed }}))) as draw,
        count(*) over () as eligible_subjects
    from lattice_rows

),

control_subjects as (

    select subject_key
    from eligible_ordered
    where draw <= least({{ var('privacy_risk_control_rows') }}, floor(eligible_subjects / 3))

),

members as (
    {#- Classes over every released column and the label. #}
    {%- set class_columns = [] %}
    {%- for c in columns %}{% do class_columns.append('released.' ~ c) %}{% endfor %}
    {%- do class_columns.append('released.has_purchase_next_90d') %}

    select
        released.*,
        count(*) over (partition by {{ class_columns | join(', ') }}) as class_rows,
        row_number() over (
            partition by {{ class_columns | join(', ') }}
            order by md5(concat(released.subject_pseudonym, {{ seed }}))
        ) as class_draw
    from released
    left join control_subjects
        on released.subject_pseudonym = control_subjects.subject_key
    where control_subjects.subject_key is null

),

sampling as (

    select
        least(1.0, {{ var('privacy_risk_sample_rows') }} / greatest(count(*), 1)) as fraction
    from members

),

members_sampled as (

    select members.*
    from members
    cross join sampling
    where
        members.class_rows >= {{ var('k_min') }}
        and members.class_draw
        <= greatest({{ var('k_min') }}, ceil(members.class_rows * sampling.fraction))

),

unioned as (

    select
        'release' as sample_role,
        {%- for c in columns %}
        {{ c }},
        {%- endfor %}
        has_purchase_next_90d
    from members_sampled

    union all

    select
        'attacker' as sample_role,
        {%- for c in columns %}
        lattice_rows.{{ c }},
        {%- endfor %}
        lattice_rows.sensitive_value = 'true' as has_purchase_next_90d
    from lattice_rows
    inner join members_sampled
        on lattice_rows.subject_key = members_sampled.subject_pseudonym

    union all

    select
        'control' as sample_role,
        {%- for c in columns %}
        lattice_rows.{{ c }},
        {%- endfor %}
        lattice_rows.sensitive_value = 'true' as has_purchase_next_90d
    from lattice_rows
    inner join control_subjects
        on lattice_rows.subject_key = control_subjects.subject_key

)

select * from unioned
