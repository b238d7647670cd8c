{% macro subject_changes_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__subject_changes'}, type='table')) }}
{%- endmacro %}
