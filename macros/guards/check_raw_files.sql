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
        {#- Scanned before raw_file() describes the file: DuckDB's sniffer echoes a row too. #}
        {%- set found = gdpr_pipeline.raw_file_problems(name) -%}
        {%- do problems.extend(found) -%}
        {%- if not found -%}
            {%- do problems.extend(_duplicated_columns(raw_file(name))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not problems -%}
        {%- do problems.extend(erasure_request_problems()) -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Raw input refused; nothing was built or published:\n  - "
            ~ (problems[:20] | join("\n  - ")) ~ ("\n  - ... and " ~ (problems | length - 20) ~ " more" if problems | length > 20 else "")) }}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Malformed rows of one raw file: '<file>: line <n>, column <c>: <error>'. -#}
{% macro raw_file_problems(name) -%}
    {{ return(adapter.dispatch('raw_file_problems', 'gdpr_pipeline')(name)) }}
{%- endmacro %}

{#- Spark reads CSVs with mode FAILFAST (register_raw_files); its errors are Spark's own. -#}
{% macro default__raw_file_problems(name) -%}
    {{ return([]) }}
{%- endmacro %}

{#- Every column is read (min(length(columns(*)))): a count alone would not decode them. The
    rejects tables keep earlier scans of the session, so only this file's rows are read. -#}
{% macro duckdb__raw_file_problems(name) -%}
    {%- set base = var('raw_dir') ~ '/' ~ name -%}
    {%- set found = run_query("select file from glob(" ~ sql_string(base ~ '.csv') ~ ")").columns[0].values() | list -%}
    {%- if found | length != 1 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set path = found[0] -%}
    {%- set scan -%}
        select count(*), min(length(columns(*))) from read_csv({{ sql_string(path) }}, header = true, delim = ',', quote = '"', escape = '"',
            all_varchar = true, store_rejects = true, rejects_table = 'gdpr_raw_rejects', rejects_scan = 'gdpr_raw_reject_scans')
    {%- endset -%}
    {%- do run_query(scan) -%}
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
