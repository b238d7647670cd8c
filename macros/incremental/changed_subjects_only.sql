{#- In the model's input filter: on an incremental build, only the subjects to recompute. -#}
{% macro changed_subjects_only(column='subject_id') -%}
    {%- if gdpr_pipeline._is_incremental_by_subject() and is_incremental() -%}
        and {{ column }} in (select subject_id from {{ gdpr_pipeline.subject_changes_relation(this) }})
    {%- endif -%}
{%- endmacro %}
