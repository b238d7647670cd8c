{#- Post-hook of a versioned release: the unsuffixed name becomes a view on the latest
    version (dbt 1.11 has no latest_version_pointer). A no-op on older versions. -#}
{% macro create_latest_version_view() -%}
    {%- set version = model.get('version') -%}
    {%- if version is not none and version == model.get('latest_version') -%}
        {%- set pointer = this.incorporate(path={'identifier': model.name}) -%}
        create or replace view {{ pointer }} as select * from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
