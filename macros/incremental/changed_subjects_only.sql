{#- A condition for the model's input filter (`and {{ changed_subjects_only('subject_id') }}`):
    on an incremental build, only the subjects to recompute; otherwise true. -#}
{% macro changed_subjects_only(column='subject_id') -%}
    {%- if gdpr_pipeline._is_incremental_by_subject() and is_incremental() -%}
        {{ column }} in (select subject_id from {{ gdpr_pipeline.subject_changes_relation(this) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
