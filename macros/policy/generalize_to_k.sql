{#- Generalizes quasi-identifiers, level by level, until every equivalence class holds at
    least k distinct subjects (and, with a sensitive column, at least l distinct values).
    `ladder` is a list of levels, each a mapping {quasi_identifier: expression over `source`}.
    A subject is placed at the first level whose class is large enough among the subjects not
    placed before; subjects placed at no level are suppressed. Renders CTEs ending in
    `generalized`: one row per placed row of `source` (subject_key, the quasi-identifiers,
    sensitive_value as varchar, generalization_level). Counting subjects, not rows, is what
    makes one person with many rows count once. -#}
{% macro generalize_to_k(source, subject_column, ladder, k, sensitive_column=none, l=1) -%}
{%- set qis = ladder[0].keys() | list -%}
{%- for level in ladder %}
{%- set n = loop.index0 %}
level_{{ n }}_rows as (

    select
        {{ subject_column }} as subject_key,
        {%- for qi in qis %}
        {{ level[qi] }} as {{ qi }},
        {%- endfor %}
        {{ sensitive_column if sensitive_column else "cast(null as string)" }} as sensitive_value
    from {{ source }}
    {%- if n > 0 %}
    where {{ subject_column }} not in (
        {%- for m in range(n) %}
        select subject_key from level_{{ m }}_placed{{ " union all" if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}

),

level_{{ n }}_classes as (

    select
        {%- for qi in qis %}
        {{ qi }},
        {%- endfor %}
        count(distinct subject_key) as class_subjects,
        count(distinct sensitive_value) as class_sensitive_values
    from level_{{ n }}_rows
    group by {% for qi in qis %}{{ qi }}{{ ", " if not loop.last }}{% endfor %}

),

level_{{ n }}_placed as (

    select
        level_{{ n }}_rows.subject_key,
        {%- for qi in qis %}
        level_{{ n }}_rows.{{ qi }},
        {%- endfor %}
        level_{{ n }}_rows.sensitive_value,
        {{ n }} as generalization_level
    from level_{{ n }}_rows
    inner join level_{{ n }}_classes
        on {% for qi in qis %}level_{{ n }}_rows.{{ qi }} = level_{{ n }}_classes.{{ qi }}{{ " and " if not loop.last }}{% endfor %}
    where level_{{ n }}_classes.class_subjects >= {{ k }}
        {%- if sensitive_column %}
        and level_{{ n }}_classes.class_sensitive_values >= {{ l }}
        {%- endif %}

),
{%- endfor %}

generalized as (

    {%- for level in ladder %}
    select * from level_{{ loop.index0 }}_placed
    {{ "union all" if not loop.last }}
    {%- endfor %}

)
{%- endmacro %}
