{#- Resolves one raw input file: <raw_dir>/<name>.csv or <raw_dir>/<name>.parquet.
    Returns {'path': ..., 'relation': <SQL that reads it with every column as text>}.
    Calling source() here records lineage from the declared source, and the source's
    declared columns are the contract: a file missing one stops the build, naming both. -#}
{% macro raw_file(name) -%}
    {%- set declared = source('raw', name) -%}
    {%- if not execute -%}
        {{ return({'path': var('raw_dir') ~ '/' ~ name, 'relation': declared}) }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_file', 'gdpr_pipeline')(name)) }}
{%- endmacro %}

{% macro _raw_contract_columns(name) -%}
    {%- set node = graph.sources['source.gdpr_pipeline.raw.' ~ name] -%}
    {{ return(node.columns.keys() | list) }}
{%- endmacro %}

{% macro _check_raw_columns(path, found_columns, name) -%}
    {%- set found = found_columns | map('lower') | list -%}
    {%- for column in _raw_contract_columns(name) -%}
        {%- if column | lower not in found -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ path ~ " has no column '" ~ column ~ "' (the raw data contract for "
                ~ name ~ " needs: " ~ (_raw_contract_columns(name) | join(', ')) ~ "; found: "
                ~ (found_columns | join(', ')) ~ ").") }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- The single file found for a raw table, or an error that says what is missing or doubled.
    Both engines list candidates their own way and share this check. -#}
{% macro _the_one_raw_file(name, found) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file missing: " ~ base ~ ".csv or " ~ base ~ ".parquet. Put the four raw files "
            ~ "(subjects, consent_events, purchases, erasure_requests) in one directory and pass it "
            ~ "as --vars '{raw_dir: <dir>}'.") }}
    {%- elif found | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Ambiguous raw input: both " ~ (found | join(' and ')) ~ " exist; keep one.") }}
    {%- endif -%}
    {{ return(found[0]) }}
{%- endmacro %}

{% macro duckdb__raw_file(name) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {%- set found = run_query(
        "select file from glob(" ~ sql_string(base ~ '.csv') ~ ") union all select file from glob(" ~ sql_string(base ~ '.parquet') ~ ") order by file"
    ).columns[0].values() | list -%}
    {%- set path = _the_one_raw_file(name, found) -%}
    {%- if path.endswith('.parquet') -%}
        {%- set relation = "read_parquet(" ~ sql_string(path) ~ ")" -%}
    {%- else -%}
        {#- Every column as text: staging parses each one and names the value that fails. -#}
        {%- set relation = "read_csv(" ~ sql_string(path) ~ ", header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true)" -%}
    {%- endif -%}
    {%- set columns = run_query("select column_name from (describe select * from " ~ relation ~ ")").columns[0].values() | list -%}
    {%- do _check_raw_columns(path, columns, name) -%}
    {{ return({'path': path, 'relation': relation}) }}
{%- endmacro %}


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
            | selectattr('source_name', 'equalto', 'raw') | sort(attribute='name') | list -%}
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

{#- The one file <raw_dir>/<name>.csv or .parquet, found with Spark's binaryFile source (which
    lists the directory without reading file contents when only `path` is selected). -#}
{% macro _spark_raw_path(name) -%}
    {%- set raw_dir = var('raw_dir') | replace("'", "\\'") -%}
    {%- set found = run_query(
        "select path from binaryFile.`" ~ raw_dir ~ "` where path rlike '/" ~ name ~ "[.](csv|parquet)$' order by path"
    ).columns[0].values() | list -%}
    {{ return(_the_one_raw_file(name, found)) }}
{%- endmacro %}

{% macro spark__raw_file(name) -%}
    {{ return({'path': _spark_raw_path(name), 'relation': source('raw', name)}) }}
{%- endmacro %}

{#- Parses a text column to a type; a value that does not parse stops the build with an error
    that names the file, the column and the value, masked (masked_value: it may be an email). Empty stays null. -#}
{% macro parse_or_fail(column, data_type, path) -%}
    case
        when {{ column }} is not null and {{ gdpr_pipeline.try_cast_text(column, data_type) }} is null
            then {{ gdpr_pipeline.raise_error(
                sql_string(path ~ ": column " ~ column ~ ": cannot parse ") ~ " || " ~ gdpr_pipeline.masked_value('cast(' ~ column ~ ' as string)') ~ " || ' as " ~ data_type ~ "'") }}
        else {{ gdpr_pipeline.try_cast_text(column, data_type) }}
    end
{%- endmacro %}

{#- A text value that must match a pattern, else the build stops naming file, column, value. -#}
{% macro require_pattern(column, pattern, path, what) -%}
    case
        when {{ column }} is not null and not {{ gdpr_pipeline.matches_pattern(column, pattern) }}
            then {{ gdpr_pipeline.raise_error(
                sql_string(path ~ ": column " ~ column ~ ": ") ~ " || " ~ gdpr_pipeline.masked_value(column) ~ " || ' is not " ~ what ~ "'") }}
        else {{ column }}
    end
{%- endmacro %}

{#- Subjects with an erasure request, whatever its date: every staging model drops them, so an
    erased subject never enters any relation of either database. -#}
{% macro erased_subject_ids() -%}
    select distinct subject_id from {{ raw_file('erasure_requests').relation }} where subject_id is not null
{%- endmacro %}
