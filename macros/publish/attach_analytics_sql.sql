{#- The attach statement of a new analytics file, in that storage version. -#}
{% macro attach_analytics_sql(path, alias) -%}
    attach {{ sql_string(path) }} as {{ alias }} (storage_version '{{ gdpr_pipeline.analytics_storage_version() }}')
{%- endmacro %}
