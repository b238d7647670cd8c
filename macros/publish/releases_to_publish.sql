{#- The storage compatibility version analytics.duckdb is written in. v1.0.0 (storage format 64)
    is the oldest DuckDB 1.x writes and every DuckDB from 1.0 to 2.x reads; the releases use
    only plain tables and views of scalar types, which that version stores as they are.
    python/tests/e2e/test_readers.py opens the published file with the newest DuckDB 1.x. -#}
{% macro analytics_storage_version() -%}
    {{ return('v1.0.0') }}
{%- endmacro %}

{#- The attach statement of a new analytics file, in that storage version. -#}
{% macro attach_analytics_sql(path, alias) -%}
    attach '{{ path }}' as {{ alias }} (storage_version '{{ gdpr_pipeline.analytics_storage_version() }}')
{%- endmacro %}

{#- Which releases an on-run-end publish writes, and where each comes from. Returns a dict:
      refusal  why nothing is published (none when it publishes);
      built    the release nodes this invocation built, whose tests in it all passed;
      carried  the other release nodes, copied unchanged from the current analytics file;
      stale    the carried releases an upstream model of which this invocation rebuilt.
    Any node that did not succeed refuses the publish (a failed build leaves the published file
    untouched); a partial build (`-s ml_training_set+`, `state:modified+`, `dbt retry`)
    publishes what it built and carries the rest. -#}
{% macro releases_to_publish(results, current_file) -%}
    {%- set not_ok = [] -%}
    {%- set built_models = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {%- do not_ok.append((result.node.alias or result.node.name) ~ ' (' ~ result.status ~ ')') -%}
        {%- elif result.node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do built_models.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set releases = gdpr_pipeline.release_nodes() -%}
    {%- set plan = {'refusal': none, 'built': [], 'carried': [], 'stale': []} -%}
    {%- if not_ok -%}
        {%- do plan.update({'refusal': not_ok | length ~ " node(s) did not succeed: "
            ~ (not_ok[:10] | join(', '))
            ~ ". The previously published file is unchanged."}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- for node in releases -%}
        {%- if node.unique_id in built_models -%}
            {%- do plan.built.append(node) -%}
        {%- else -%}
            {%- do plan.carried.append(node) -%}
            {%- if gdpr_pipeline.upstream_models(node.unique_id) | select('in', built_models) | list -%}
                {%- do plan.stale.append(node) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set carried_aliases = plan.carried | map(attribute='alias') | list -%}
    {%- if not plan.built and not plan.stale -%}
        {%- do plan.update({'refusal': "this invocation built no release. The previously published file is unchanged."}) -%}
    {%- elif carried_aliases and not current_file -%}
        {%- do plan.update({'refusal': "this invocation did not build " ~ (carried_aliases | join(', '))
            ~ " and there is no published analytics.duckdb to carry them over from. Publish with a full `dbt build`."}) -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#- Every node upstream of unique_id (models, seeds, snapshots), transitively. The loop walks a
    list it appends to, so it reaches every ancestor once. -#}
{% macro upstream_models(unique_id) -%}
    {%- set seen = [unique_id] -%}
    {%- for current in seen -%}
        {%- set node = graph.nodes.get(current) -%}
        {%- if node is not none -%}
            {%- for parent in node.depends_on.nodes -%}
                {%- if parent not in seen and parent.split('.')[0] in ('model', 'seed', 'snapshot') -%}
                    {%- do seen.append(parent) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(seen[1:]) }}
{%- endmacro %}

{#- The distinct key ids of the carried releases in the current analytics file. -#}
{% macro carried_key_ids(carried) -%}
    {%- set query -%}
        select distinct key_id from analytics_current.main.release_metadata
        where release_name in ('{{ carried | map(attribute="alias") | join("', '") }}')
        order by key_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- The release_metadata rows of carried releases, unchanged but for is_stale: a release stays
    stale until an invocation rebuilds it. A file published before is_stale existed has none. -#}
{% macro carried_release_metadata_sql(carried, stale) -%}
    {%- set has_stale = run_query("select count(*) from duckdb_columns() where database_name = 'analytics_current'"
        ~ " and table_name = 'release_metadata' and column_name = 'is_stale'").columns[0].values()[0] > 0 -%}
    select
        * exclude ({{ 'is_stale' if has_stale else 'release_name' }}),
        {%- if not has_stale %} release_name,{% endif %}
        {{ 'is_stale or ' if has_stale }}release_name in ('{{ stale | map(attribute="alias") | join("', '") }}') as is_stale
    from analytics_current.main.release_metadata
    where release_name in ('{{ carried | map(attribute="alias") | join("', '") }}')
{%- endmacro %}
