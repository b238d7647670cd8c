{#- The one file <raw_dir>/<name>.csv or .parquet, found with Spark's binaryFile source (which
    lists the directory without reading file contents when only `path` is selected). -#}
{% macro _spark_raw_path(name) -%}
    {%- set raw_dir = var('raw_dir') | replace("'", "\\'") -%}
    {%- set found = run_query(
        "select path from binaryFile.`" ~ raw_dir ~ "` where path rlike '/" ~ name ~ "[.](csv|parquet)$' order by path"
    ).columns[0].values() | list -%}
    {{ return(_the_one_raw_file(name, found)) }}
{%- endmacro %}
