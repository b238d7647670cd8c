{#- Spark SQL cannot glob and read a file in one expression the way DuckDB does, and a view
    may not reference a temporary view. So on Spark each raw file becomes an external table in
    the source's own schema (<schema>_raw): the declared source is then a real relation, the
    staging views read it like any table, and on a cluster the same source can be an existing
    table instead. register_raw_files (on-run-start) creates them once per invocation, before
    any model runs, so parallel staging models never race on the DDL. -#}
{% macro register_raw_files() -%}
    {{ return(adapter.dispatch('register_raw_files', 'gdpr_pipeline')()) }}
{%- endmacro %}

{% macro default__register_raw_files() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_files() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set sources = graph.sources.values() | selectattr('package_name', 'equalto', 'gdpr_pipeline')
            | selectattr('source_name', 'equalto', 'app') | sort(attribute='name') | list -%}
        {%- for schema in sources | map(attribute='schema') | unique -%}
            {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for node in sources -%}
            {%- set path = _spark_raw_path(node.name) -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.identifier, type='table') -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- if path.endswith('.parquet') -%}
                {%- do run_query("create table " ~ relation ~ " using parquet options (path " ~ sql_string(path) ~ ")") -%}
            {%- else -%}
                {#- Every column as text (no schema inference), RFC 4180 quoting, and a malformed
                    row stops the build instead of turning into nulls. -#}
                {%- do run_query("create table " ~ relation ~ " using csv options (path " ~ sql_string(path)
                    ~ ", header 'true', inferSchema 'false', sep ',', quote '\"', escape '\"',"
                    ~ " multiLine 'true', encoding 'UTF-8', mode 'FAILFAST')") -%}
            {%- endif -%}
            {%- set columns = run_query('select * from ' ~ relation ~ ' limit 0').column_names | list -%}
            {%- do _check_raw_columns(path, columns, node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
