{#- dbt docs on DuckDB: the raw files join the catalog. The app source's tables are files that
    DuckDB reads where they lie (raw_file), not relations of the vault, so dbt-duckdb's catalog
    query, which lists the vault's tables and views, left them out. This override (root-project
    macros take precedence over the adapter's) adds one entry per file found, of type
    EXTERNAL FILE with its path as the comment; duckdb__get_catalog_columns_sql adds its columns.
    The caller appends its schema or relation filter to the whole. -#}
{% macro duckdb__get_catalog_tables_sql(information_schema) -%}
    select * from (
        {{ dbt.duckdb__get_catalog_tables_sql(information_schema) }}
        {%- for file in _raw_files_for_catalog(information_schema) %}
        union all
        select
            {{ sql_string(file.database) }} as table_database,
            {{ sql_string(file.schema) }} as table_schema,
            {{ sql_string(file.name) }} as table_name,
            'EXTERNAL FILE' as table_type,
            {{ sql_string(file.path) }} as table_comment
        {%- endfor %}
    ) catalog_tables_and_raw_files
{%- endmacro %}
