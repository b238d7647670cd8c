{#- DuckDB: the files that could be raw table `name` under raw_dir, <name>.csv and
    <name>.parquet, as found (none, one, or both: the callers say which is wrong). -#}
{% macro _raw_file_candidates(name) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {{ return(run_query(
        "select file from glob(" ~ sql_string(base ~ '.csv') ~ ") union all select file from glob("
        ~ sql_string(base ~ '.parquet') ~ ") order by file"
    ).columns[0].values() | list) }}
{%- endmacro %}
