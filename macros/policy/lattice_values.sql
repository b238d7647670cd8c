{#- The first CTE of a lattice generalization: one row per row of `source` with the subject,
    the sensitive value and every column at every level of its hierarchy, named
    <column>__<level> (level 0 the finest). `hierarchies` is a list of
    {'name': released column, 'levels': [expression over `source`, ...]}, finest first; the
    last level of each is normally a constant ('any'), so the top of the lattice always exists.
    Renders the CTE `lattice_values`; lattice_search and lattice_apply both start from it, so the
    search and the release read the same values. -#}
{% macro lattice_values(source, subject_column, hierarchies, sensitive_column) -%}
lattice_values as (

    select
        {{ subject_column }} as subject_key,
        {%- for h in hierarchies %}
        {%- set column = h['name'] %}
        {%- for expression in h['levels'] %}
        {{ expression }} as {{ column }}__{{ loop.index0 }},
        {%- endfor %}
        {%- endfor %}
        cast({{ sensitive_column }} as string) as sensitive_value
    from {{ source }}

)
{%- endmacro %}
