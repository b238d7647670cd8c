{#- The release_metadata rows of carried releases, unchanged but for is_stale: a release stays
    stale until an invocation rebuilds it. A file published before is_stale existed has none. -#}
{% macro carried_release_metadata_sql(carried, stale) -%}
    {%- set has_stale = run_query("select count(*) from duckdb_columns() where database_name = 'analytics_current'"
        ~ " and table_name = 'release_metadata' and column_name = 'is_stale'").columns[0].values()[0] > 0 -%}
    select
        * exclude ({{ 'is_stale' if has_stale else 'release_name' }}),
        {%- if not has_stale %} release_name,{% endif %}
        {{ 'is_stale or ' if has_stale }}release_name in ('{{ stale | map(attribute="alias") | join("', '") }}') as is_stale
    from analytics_current.main.release_metadata
    where release_name in ('{{ carried | map(attribute="alias") | join("', '") }}')
{%- endmacro %}
