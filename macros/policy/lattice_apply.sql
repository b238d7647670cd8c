{#- Full-domain generalization: the release. Recodes every row of `source` at the one node
    `lattice_search` chose (the row of `lattice_relation` with is_chosen) and keeps the rows
    whose class holds at least k distinct subjects over all the columns and the sensitive value,
    and whose combination of the columns shows at least l sensitive values among those kept:
    the same rule the search measured, so the released subjects are the ones it counted. Nothing
    about a row says how it was generalized beyond the release's one node.
    Renders CTEs ending in `lattice_generalized`: subject_key, the generalized columns and
    sensitive_value. -#}
{% macro lattice_apply(source, subject_column, hierarchies, sensitive_column, k, l, lattice_relation) -%}
{%- set columns = hierarchies | map(attribute='name') | list -%}
{{ lattice_values(source, subject_column, hierarchies, sensitive_column) }},

lattice_chosen as (

    select * from {{ lattice_relation }}
    where is_chosen

),

lattice_rows as (

    select
        lattice_values.subject_key,
        {%- for h in hierarchies %}
        {{ lattice_level_case(h, 'lattice_chosen.' ~ h['name'] ~ '_level', 'lattice_values.') }} as {{ h['name'] }},
        {%- endfor %}
        lattice_values.sensitive_value
    from lattice_values
    cross join lattice_chosen

),

lattice_row_classes as (

    select
        {%- for c in columns %}
        {{ c }},
        {%- endfor %}
        sensitive_value
    from lattice_rows
    group by {% for c in columns %}{{ c }}, {% endfor %}sensitive_value
    having count(distinct subject_key) >= {{ k }}

),

lattice_row_diverse as (

    select
        {%- for c in columns %}
        {{ c }}{{ "," if not loop.last }}
        {%- endfor %}
    from lattice_row_classes
    group by {% for c in columns %}{{ c }}{{ ", " if not loop.last }}{% endfor %}
    having count(distinct sensitive_value) >= {{ l }}

),

lattice_generalized as (

    select lattice_rows.*
    from lattice_rows
    inner join lattice_row_classes
        on {% for c in columns %}lattice_rows.{{ c }} = lattice_row_classes.{{ c }} and {% endfor %}lattice_rows.sensitive_value = lattice_row_classes.sensitive_value
    inner join lattice_row_diverse
        on {% for c in columns %}lattice_rows.{{ c }} = lattice_row_diverse.{{ c }}{{ " and " if not loop.last }}{% endfor %}

)
{%- endmacro %}
