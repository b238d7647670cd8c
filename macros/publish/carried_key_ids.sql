{#- The distinct key ids of the carried releases in the current analytics file. -#}
{% macro carried_key_ids(carried) -%}
    {%- set query -%}
        select distinct key_id from analytics_current.main.release_metadata
        where release_name in ('{{ carried | map(attribute="alias") | join("', '") }}')
        order by key_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
