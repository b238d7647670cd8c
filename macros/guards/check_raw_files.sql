{#- on-run-start, after register_raw_files: the raw files are checked before any model reads
    them, and a problem stops the invocation with a message that names the file, the line and
    the column, never a raw row or a clear value (identifiers stay out of the audit trail,
    logs/ and dbt's output).

    - Every CSV is read once with DuckDB's rejects tables, so a malformed row (invalid UTF-8,
      too many or too few columns) is reported as file, line, column and a masked value
      instead of DuckDB's own error, which echoes the whole row.
    - A header naming a column twice stops the build (DuckDB would read the second copy as
      <name>_1, and staging would silently read the first).
    - The erasure requests are cumulative: every request the vault's tombstone holds must still
      be in the raw file, and every request needs a request_id and a subject_id. A file cut to
      its header, with fewer requests than the tombstone, with an empty key column or with a
      doubled header stops the build, so an erased subject is never staged again. -#}
{% macro check_raw_files() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for name in ('subjects', 'consent_events', 'purchases', 'erasure_requests') -%}
        {%- do problems.extend(gdpr_pipeline.raw_file_problems(name)) -%}
    {%- endfor -%}
    {%- if not problems -%}
        {%- do problems.extend(erasure_request_problems()) -%}
    {%- endif -%}
    {%- if problems -%}
        {{ guard_failed("Raw input refused; nothing was built or published:\n  - "
            ~ (problems[:20] | join("\n  - ")) ~ ("\n  - ... and " ~ (problems | length - 20) ~ " more" if problems | length > 20 else "")) }}
    {%- endif -%}
    select 1
{%- endmacro %}

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
    {%- set found = run_query(
        "select file from glob(" ~ sql_string(base ~ '.csv') ~ ") union all select file from glob("
        ~ sql_string(base ~ '.parquet') ~ ") order by file"
    ).columns[0].values() | list -%}
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
    {%- set columns = run_query("select column_name from (describe select * from " ~ relation ~ ")").columns[0].values() | list -%}
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

{#- A value shown in an error without revealing it: its first character and its length. -#}
{% macro masked_value(value_sql) -%}
    concat('''', left({{ value_sql }}, 1), '...'' (', cast(length({{ value_sql }}) as string), ' characters)')
{%- endmacro %}

{#- A SQL string literal of a path or other text: quotes doubled, so a ' in raw_dir or
    GDPR_WAREHOUSE_DIR cannot break the statement. -#}
{% macro sql_string(text) -%}
    {{ return(adapter.dispatch('sql_string', 'gdpr_pipeline')(text)) }}
{%- endmacro %}

{% macro default__sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro spark__sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
{%- endmacro %}

{% macro _duplicated_columns(raw) -%}
    {%- set columns = run_query('select * from ' ~ raw.relation ~ ' limit 0').column_names | list -%}
    {%- set lowered = columns | map('lower') | list -%}
    {%- set problems = [] -%}
    {%- for column in lowered -%}
        {%- set match = modules.re.fullmatch('(.+)_[0-9]+', column) -%}
        {%- if (match and match.group(1) in lowered) or lowered.count(column) > 1 -%}
            {%- do problems.append(raw.path ~ ": the header names column '"
                ~ (match.group(1) if match else column) ~ "' more than once; keep one.") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems | unique | list) }}
{%- endmacro %}

{#- The vault's erasure tombstone (request_id, pseudonyms), if a build made it already. -#}
{% macro erasure_tombstone_relation() -%}
    {%- set node = graph.nodes.get('model.gdpr_pipeline.stg_app__erasure_requests') -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{% macro erasure_request_problems() -%}
    {%- set raw = raw_file('erasure_requests') -%}
    {%- set problems = [] -%}
    {%- set counts_sql -%}
        select
            count(*) as requests,
            count(case when subject_id is null or trim(subject_id) = '' then 1 end) as without_subject,
            count(case when request_id is null or trim(request_id) = '' then 1 end) as without_request_id
        from {{ raw.relation }}
    {%- endset -%}
    {%- set counts = run_query(counts_sql).rows[0] -%}
    {%- if counts[1] > 0 -%}
        {%- do problems.append(raw.path ~ ": " ~ counts[1] ~ " of " ~ counts[0]
            ~ " erasure requests have an empty subject_id; every request must name the subject to erase.") -%}
    {%- endif -%}
    {%- if counts[2] > 0 -%}
        {%- do problems.append(raw.path ~ ": " ~ counts[2] ~ " of " ~ counts[0]
            ~ " erasure requests have an empty request_id.") -%}
    {%- endif -%}
    {%- set tombstone = erasure_tombstone_relation() -%}
    {%- if tombstone is not none -%}
        {%- set held_sql -%}
            select
                count(distinct tombstone.request_id) as held,
                count(distinct case when raw_requests.request_id is null then tombstone.request_id end) as missing
            from {{ tombstone }} as tombstone
            left join (select distinct request_id from {{ raw.relation }}) as raw_requests
                on tombstone.request_id = raw_requests.request_id
        {%- endset -%}
        {%- set held = run_query(held_sql).rows[0] -%}
        {%- if held[1] > 0 -%}
            {%- do problems.append(raw.path ~ ": " ~ held[1] ~ " of the " ~ held[0]
                ~ " erasure requests the vault's tombstone holds are not in this file (it has "
                ~ counts[0] ~ " rows). Erasure is cumulative: the file must keep every request ever made.") -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(problems) }}
{%- endmacro %}
