{#- dbt docs on DuckDB: the columns of each raw file, as DuckDB reads them (every CSV column as
    text, Parquet with its own types), beside the vault's (duckdb__get_catalog_tables_sql says
    why). -#}
{% macro duckdb__get_catalog_columns_sql(information_schema) -%}
    select * from (
        {{ dbt.duckdb__get_catalog_columns_sql(information_schema) }}
        {%- for file in _raw_files_for_catalog(information_schema) %}
        union all
        select
            {{ sql_string(file.database) }} as table_database,
            {{ sql_string(file.schema) }} as table_schema,
            {{ sql_string(file.name) }} as table_name,
            column_name,
            cast(row_number() over () as integer) as column_index,
            column_type,
            null as column_comment
        from (describe select * from {{ file.relation }})
        {%- endfor %}
    ) catalog_columns_and_raw_files
{%- endmacro %}
