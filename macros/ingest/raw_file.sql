{#- Resolves one raw input file: <raw_dir>/<name>.csv or <raw_dir>/<name>.parquet.
    Returns {'path': ..., 'relation': <SQL that reads it with every column as text>}.
    Calling source() here records lineage from the declared source, and the source's
    declared columns are the contract: a file missing one stops the build, naming both. -#}
{% macro raw_file(name) -%}
    {%- set declared = source('app', name) -%}
    {%- if not execute -%}
        {{ return({'path': var('raw_dir') ~ '/' ~ name, 'relation': declared}) }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_file', 'gdpr_pipeline')(name)) }}
{%- endmacro %}

{% macro duckdb__raw_file(name) -%}
    {%- set found = _raw_file_candidates(name) -%}
    {%- set path = _the_one_raw_file(name, found) -%}
    {%- set relation = _duckdb_raw_relation(path) -%}
    {%- set columns = run_query("select column_name from (describe select * from " ~ relation ~ ")")
        .columns[0].values() | list -%}
    {%- do _check_raw_columns(path, columns, name) -%}
    {{ return({'path': path, 'relation': relation}) }}
{%- endmacro %}

{% macro spark__raw_file(name) -%}
    {{ return({'path': _spark_raw_path(name), 'relation': source('app', name)}) }}
{%- endmacro %}
