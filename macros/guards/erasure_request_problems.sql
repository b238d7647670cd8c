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
