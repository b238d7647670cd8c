{% macro _is_incremental_by_subject() -%}
    {{ return(execute and config.get('materialized') == 'incremental') }}
{%- endmacro %}
