{#- Full-domain generalization: the search. A node of the lattice gives every column one level
    of its hierarchy, and the whole release is recoded at that node (one rule for every row).
    At each node, an equivalence class is a combination of ALL the generalized columns and the
    sensitive value; a class is kept when it holds at least k distinct subjects and its
    combination of the other columns shows at least l distinct sensitive values among the kept
    classes; every other subject is suppressed. A node is feasible when it suppresses at most
    `max_suppressed_share` of the subjects. The chosen node is the feasible node with nothing
    feasible below it (a minimal node: no other feasible node is at or below it in every
    column) with the smallest discernibility metric (sum over kept classes of size squared,
    plus eligible subjects for each suppressed one; ARX's DM), then the lowest height, then the
    lowest node id. With no feasible node, the node suppressing fewest subjects is chosen and
    the build's suppression test fails.

    Cost: one scan of `source` to count subjects per atom (a combination of every level of every
    column), then (atoms x nodes) rows aggregated. Atoms are bounded by the product of the
    finest domains, not by the number of subjects, so the search is bounded at any scale.
    `source` holds one row per subject (the caller tests it).

    Renders `lattice_values` and CTEs ending in `lattice_measured`: one row per node with
    node_id, node (e.g. 'age_band=1, income_band=0'), <column>_level, height,
    eligible_subjects, released_subjects, suppressed_subjects, released_classes,
    discernibility, is_feasible, is_minimal, is_chosen. -#}
{% macro lattice_search(source, subject_column, hierarchies, sensitive_column, k, l, max_suppressed_share) -%}
{%- set columns = hierarchies | map(attribute='name') | list -%}
{%- set ns = namespace(nodes=[[]]) -%}
{%- for h in hierarchies -%}
    {%- set grown = [] -%}
    {%- for node in ns.nodes -%}
        {%- for level in range(h['levels'] | length) -%}
            {%- do grown.append(node + [level]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set ns.nodes = grown -%}
{%- endfor -%}
{{ lattice_values(source, subject_column, hierarchies, sensitive_column) }},

lattice_atoms as (

    select
        {%- for h in hierarchies %}
        {%- for expression in h['levels'] %}
        {{ h['name'] }}__{{ loop.index0 }},
        {%- endfor %}
        {%- endfor %}
        sensitive_value,
        count(distinct subject_key) as subjects
    from lattice_values
    group by
        {%- for h in hierarchies %}
        {%- for expression in h['levels'] %}
        {{ h['name'] }}__{{ loop.index0 }},
        {%- endfor %}
        {%- endfor %}
        sensitive_value

),

lattice_nodes as (

    {%- for node in ns.nodes %}
    {%- set node_loop = loop %}
    select
        {{ loop.index0 }} as node_id,
        '{% for c in columns %}{{ c }}={{ node[loop.index0] }}{{ ", " if not loop.last }}{% endfor %}' as node,
        {%- for c in columns %}
        {{ node[loop.index0] }} as {{ c }}_level,
        {%- endfor %}
        {{ node | sum }} as height
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

lattice_recoded as (

    select
        lattice_nodes.node_id,
        {%- for h in hierarchies %}
        {{ lattice_level_case(h, 'lattice_nodes.' ~ h['name'] ~ '_level', 'lattice_atoms.') }} as {{ h['name'] }},
        {%- endfor %}
        lattice_atoms.sensitive_value,
        lattice_atoms.subjects
    from lattice_atoms
    cross join lattice_nodes

),

lattice_classes as (

    select
        node_id,
        {%- for c in columns %}
        {{ c }},
        {%- endfor %}
        sensitive_value,
        sum(subjects) as class_subjects
    from lattice_recoded
    group by node_id, {% for c in columns %}{{ c }}, {% endfor %}sensitive_value

),

lattice_classes_at_k as (

    {#- One row per (columns, sensitive value), so counting rows per combination of the
        columns counts its distinct sensitive values. #}
    select
        node_id,
        class_subjects,
        count(*) over (partition by node_id{% for c in columns %}, {{ c }}{% endfor %}) as class_sensitive_values
    from lattice_classes
    where class_subjects >= {{ k }}

),

lattice_kept as (

    select
        node_id,
        sum(class_subjects) as released_subjects,
        count(*) as released_classes,
        sum(class_subjects * class_subjects) as released_discernibility
    from lattice_classes_at_k
    where class_sensitive_values >= {{ l }}
    group by node_id

),

lattice_eligible as (

    select count(distinct subject_key) as eligible_subjects
    from lattice_values

),

lattice_scored as (

    select
        lattice_nodes.*,
        lattice_eligible.eligible_subjects,
        coalesce(lattice_kept.released_subjects, 0) as released_subjects,
        lattice_eligible.eligible_subjects - coalesce(lattice_kept.released_subjects, 0) as suppressed_subjects,
        coalesce(lattice_kept.released_classes, 0) as released_classes,
        coalesce(lattice_kept.released_discernibility, 0)
            + (lattice_eligible.eligible_subjects - coalesce(lattice_kept.released_subjects, 0))
            * lattice_eligible.eligible_subjects as discernibility,
        (lattice_eligible.eligible_subjects - coalesce(lattice_kept.released_subjects, 0))
            <= {{ max_suppressed_share }} * lattice_eligible.eligible_subjects as is_feasible
    from lattice_nodes
    cross join lattice_eligible
    left join lattice_kept
        on lattice_nodes.node_id = lattice_kept.node_id

),

lattice_below as (

    {#- For each feasible node, how many other feasible nodes lie at or below it in every column. #}
    select
        node.node_id,
        count(lower.node_id) as feasible_nodes_below
    from lattice_scored as node
    left join lattice_scored as lower
        on lower.is_feasible
        and lower.node_id <> node.node_id
        {%- for c in columns %}
        and lower.{{ c }}_level <= node.{{ c }}_level
        {%- endfor %}
    group by node.node_id

),

lattice_ranked as (

    select
        lattice_scored.*,
        lattice_scored.is_feasible and lattice_below.feasible_nodes_below = 0 as is_minimal,
        row_number() over (
            order by
                case when lattice_scored.is_feasible and lattice_below.feasible_nodes_below = 0 then 0 else 1 end,
                case when lattice_scored.is_feasible then 0 else lattice_scored.suppressed_subjects end,
                lattice_scored.discernibility,
                lattice_scored.height,
                lattice_scored.node_id
        ) as preference
    from lattice_scored
    inner join lattice_below
        on lattice_scored.node_id = lattice_below.node_id

),

lattice_measured as (

    select
        node_id,
        node,
        {%- for c in columns %}
        {{ c }}_level,
        {%- endfor %}
        height,
        eligible_subjects,
        released_subjects,
        suppressed_subjects,
        released_classes,
        discernibility,
        is_feasible,
        is_minimal,
        preference = 1 as is_chosen
    from lattice_ranked

)
{%- endmacro %}
