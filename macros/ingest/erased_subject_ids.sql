{#- Subjects with an erasure request, whatever its date: every staging model drops them, so an
    erased subject never enters any relation of either database. -#}
{% macro erased_subject_ids() -%}
    select distinct subject_id from {{ raw_file('erasure_requests').relation }} where subject_id is not null
{%- endmacro %}
