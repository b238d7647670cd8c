{#- The lattice search of ml_training_set v3 (vault only): one row per node of the lattice of
    band levels, with what recoding the whole release at that node would release and suppress,
    its discernibility, and the one node chosen (macros/policy/lattice_search.sql). -#}

with

candidates as (

    select * from {{ ref('int_ml_training_candidates') }}

),

{{ lattice_search(
    source='candidates',
    subject_column='subject_pseudonym',
    hierarchies=ml_training_hierarchies(),
    sensitive_column='has_purchase_next_90d',
    k=var('k_min'),
    l=var('l_min'),
    max_suppressed_share=var('max_suppressed_share'),
) }}

select * from lattice_measured
