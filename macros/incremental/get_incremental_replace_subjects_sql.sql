{#- The custom incremental strategy 'replace_subjects': drop the recomputed subjects' rows
    (those with no rows now included, e.g. erased ones), then insert their new rows. -#}
{% macro get_incremental_replace_subjects_sql(arg_dict) -%}
    {{ return(adapter.dispatch('replace_subjects_sql', 'gdpr_pipeline')(arg_dict)) }}
{%- endmacro %}

{% macro default__replace_subjects_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where subject_id in (select subject_id from {{ gdpr_pipeline.subject_changes_relation(target) }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
