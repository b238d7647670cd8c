{#- Fails unless exactly one node of a lattice search is chosen: the release is recoded at one
    node, never at none (no release) or at several (a per-row choice). -#}
{% test exactly_one_chosen_node(model) %}
    select count(*) as chosen_nodes
    from {{ model }}
    where is_chosen
    having count(*) <> 1
{% endtest %}
