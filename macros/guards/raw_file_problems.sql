{#- What is wrong with one raw file: missing or doubled, malformed rows
    ('<file>: line <n>, column <c>: <error>'), a contract column missing, a column named twice. -#}
{% macro raw_file_problems(name) -%}
    {{ return(adapter.dispatch('raw_file_problems', 'gdpr_pipeline')(name)) }}
{%- endmacro %}

{#- Spark: register_raw_files has read the files (mode FAILFAST, Spark's own errors) and
    checked their columns; only a doubled header is left to find. -#}
{% macro default__raw_file_problems(name) -%}
    {{ return(_duplicated_columns(raw_file(name))) }}
{%- endmacro %}

{#- DuckDB: scanned before raw_file() describes the file, because DuckDB's sniffer and reader
    errors quote a raw row. Every column is read (min(length(columns(*)))): a count alone
    would not decode them. The rejects tables keep earlier scans of the session, so only this
    file's rows are read. -#}
{% macro duckdb__raw_file_problems(name) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {%- set found = _raw_file_candidates(name) -%}
    {%- if found | length == 0 -%}
        {{ return(["Raw file missing: " ~ base ~ ".csv or " ~ base ~ ".parquet. Put the four raw files "
            ~ "(subjects, consent_events, purchases, erasure_requests) in one directory and pass it "
            ~ "as --vars '{raw_dir: <dir>}'."]) }}
    {%- elif found | length > 1 -%}
        {{ return(["Ambiguous raw input: both " ~ (found | join(' and ')) ~ " exist; keep one."]) }}
    {%- endif -%}
    {%- set path = found[0] -%}
    {%- if path.endswith('.parquet') -%}
        {%- set relation = "read_parquet(" ~ sql_string(path) ~ ")" -%}
    {%- else -%}
        {%- set relation = "read_csv(" ~ sql_string(path) ~ ", header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true" -%}
        {%- do run_query("select count(*), min(length(columns(*))) from " ~ relation
            ~ ", store_rejects = true, rejects_table = 'gdpr_raw_rejects', rejects_scan = 'gdpr_raw_reject_scans')") -%}
        {%- set rejects -%}
            select
                line,
                coalesce(column_name, 'number ' || cast(column_idx as varchar)) as column_name,
                lower(cast(error_type as varchar)) as error_type,
                byte_position
            from gdpr_raw_rejects
            where (scan_id, file_id) in (
                select (scan_id, file_id) from gdpr_raw_reject_scans where file_path = {{ sql_string(path) }}
            )
            qualify row_number() over (partition by line order by column_idx) = 1
            order by line
            limit 20
        {%- endset -%}
        {%- set problems = [] -%}
        {%- for row in run_query(rejects) -%}
            {%- do problems.append(path ~ ": line " ~ row[0] ~ ", column " ~ row[1] ~ ": " ~ row[2]
                ~ (" (byte " ~ row[3] ~ "); the file must be UTF-8" if row[2] == 'invalid encoding' else "")
                ~ ". The row is not shown: it may hold identifiers.") -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ return(problems) }}
        {%- endif -%}
        {%- set relation = relation ~ ")" -%}
    {%- endif -%}
    {%- set columns = run_query("select column_name from (describe select * from " ~ relation ~ ")")
        .columns[0].values() | list -%}
    {%- set lowered = columns | map('lower') | list -%}
    {%- set problems = [] -%}
    {%- set contract = _raw_contract_columns(name) -%}
    {%- for column in contract if column | lower not in lowered -%}
        {%- do problems.append("Raw file " ~ path ~ " has no column '" ~ column ~ "' (the raw data contract for "
            ~ name ~ " needs: " ~ (contract | join(', ')) ~ "; found: " ~ (columns | join(', ')) ~ ").") -%}
    {%- endfor -%}
    {%- do problems.extend(_duplicated_columns({'path': path, 'relation': relation})) -%}
    {{ return(problems) }}
{%- endmacro %}
