{#- DuckDB: the SQL that reads one raw file. Every CSV column as text: staging parses each one
    and names the value that fails. -#}
{% macro _duckdb_raw_relation(path) -%}
    {%- if path.endswith('.parquet') -%}
        {{ return("read_parquet(" ~ sql_string(path) ~ ")") }}
    {%- endif -%}
    {{ return("read_csv(" ~ sql_string(path)
        ~ ", header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true)") }}
{%- endmacro %}
