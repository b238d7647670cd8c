{#- Publish guard (called by duckdb__publish_analytics before it writes anything): a release
    that comes out empty, or with fewer rows than release_shrink_min_share (default 0.5) of the
    release it would replace, is not published. The last good release stays and the build
    fails naming the release and both counts. A reviewed shrink goes through with
    --vars '{allow_release_shrink: [<release>]}' (the release or model name); the audit trail's
    invocation record keeps those vars, and the publish record says which shrink was allowed. -#}
{% macro release_shrink_check(releases, final) -%}
    {%- set allowed = var('allow_release_shrink', []) -%}
    {%- set allowed = [allowed] if allowed is string else (allowed or []) -%}
    {%- set share = var('release_shrink_min_share', 0.5) -%}
    {%- set previous_exists = run_query("select count(*) from glob(" ~ sql_string(final) ~ ")")
        .columns[0].values()[0] > 0 -%}
    {%- if previous_exists -%}
        {%- do run_query("attach " ~ sql_string(final) ~ " as analytics_previous (read_only)") -%}
    {%- endif -%}
    {%- set outcome = {'refused': [], 'allowed': []} -%}
    {%- for node in releases -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- set rows = run_query("select count(*) from " ~ relation).columns[0].values()[0] -%}
        {%- set ns = namespace(previous=none) -%}
        {%- set previous_tables = "select count(*) from duckdb_tables() where database_name = 'analytics_previous'"
            ~ " and schema_name = 'main' and table_name = " ~ sql_string(node.alias) -%}
        {%- if previous_exists and run_query(previous_tables).columns[0].values()[0] > 0 -%}
            {%- set ns.previous = run_query("select count(*) from analytics_previous.main." ~ node.alias)
                .columns[0].values()[0] -%}
        {%- endif -%}
        {%- set problem = none -%}
        {%- if rows == 0 -%}
            {%- set problem = node.alias ~ " came out empty (0 rows; the published one has "
                ~ (ns.previous if ns.previous is not none else 'none') ~ ")" -%}
        {%- elif ns.previous is not none and rows < share * ns.previous -%}
            {%- set problem = node.alias ~ " has " ~ rows ~ " rows, fewer than " ~ (share * 100) | round(1)
                ~ "% of the "
                ~ ns.previous ~ " rows of the published one" -%}
        {%- endif -%}
        {%- if problem and (node.alias in allowed or node.name in allowed) -%}
            {%- do outcome.allowed.append(problem) -%}
        {%- elif problem -%}
            {%- do outcome.refused.append(problem) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if previous_exists -%}
        {%- do run_query("detach analytics_previous") -%}
    {%- endif -%}
    {{ return(outcome) }}
{%- endmacro %}
