{#- Fails unless exactly one node of a lattice search is chosen and it suppresses no more than
    var max_suppressed_share of the eligible subjects: the release is recoded at one node, never
    at none or several (a per-row choice), and never with more suppressed than the cap allows. -#}
{% test exactly_one_chosen_node(model) %}
    {%- set failing -%}
    select
        count(*) as chosen_nodes,
        min(suppressed_subjects) as suppressed_subjects,
        min(eligible_subjects) as eligible_subjects
    from {{ model }}
    where is_chosen
    having count(*) <> 1
        or min(suppressed_subjects) > {{ var('max_suppressed_share') }} * min(eligible_subjects)
    {%- endset -%}
    {%- if execute and load_relation(model) is not none -%}
        {%- set found = run_query(failing) -%}
        {%- for row in found.rows -%}
            {{ log("exactly_one_chosen_node failed: " ~ model.identifier ~ ": " ~ row[0] ~ " chosen node(s); "
                ~ row[1] ~ " of " ~ row[2] ~ " eligible subjects suppressed, above max_suppressed_share = "
                ~ var('max_suppressed_share') ~ " at every node of the lattice", info=True) }}
        {%- endfor -%}
    {%- endif %}
    {{ failing }}
{% endtest %}
