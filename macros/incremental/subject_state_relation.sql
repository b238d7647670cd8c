{% macro subject_state_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__subject_inputs'}, type='table')) }}
{%- endmacro %}
