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
