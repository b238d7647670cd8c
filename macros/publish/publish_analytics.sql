{#- on-run-end: publish the releases to the analytics database, atomically.
    DuckDB: when every node of a build or run succeeded and every release was built in it, the
    releases (models with meta.release) are copied into a NEW file, analytics.duckdb.publishing,
    which is then renamed over analytics.duckdb. Readers see the old file or the new one, never
    a half-built one; a failed build leaves the published file untouched; and because the file
    is new on every publish, no freed block can still hold an erased subject's bytes.
    Views in it name their tables unqualified, so the file opens on its own, with no key.
    Spark: the releases schema (<schema>_releases) is the boundary; nothing is copied. Readers are
    granted that schema only, the way a cluster separates data (docs/spark.md). -#}
{% macro publish_analytics(results) -%}
    {{ return(adapter.dispatch('publish_analytics', 'gdpr_pipeline')(results)) }}
{%- endmacro %}

{% macro default__publish_analytics(results) -%}
    select 1
{%- endmacro %}

{% macro spark__publish_analytics(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set schemas = release_nodes() | map(attribute='schema') | unique | list -%}
        {{ log("Spark: releases stay in schema " ~ (schemas | join(', '))
            ~ "; there is no separate analytics file to publish (docs/spark.md).", info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro duckdb__publish_analytics(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set not_ok = [] -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {%- do not_ok.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
        {%- elif result.node.resource_type == 'model' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set releases = release_nodes() -%}
    {%- set missing = releases | rejectattr('unique_id', 'in', built) | map(attribute='name') | list -%}
    {%- if not_ok -%}
        {{ log("Analytics database NOT published: " ~ not_ok | length ~ " node(s) did not succeed: " ~ (not_ok[:10] | join(', ')) ~ ". The previously published file is unchanged.", info=True) }}
        {%- do record_audit([], publish={'status': 'not_published', 'message': not_ok | length ~ ' node(s) did not succeed'}) -%}
        {{ return('select 1') }}
    {%- elif missing -%}
        {{ log("Analytics database NOT published: this run did not build " ~ (missing | join(', '))
            ~ ". Publish with a full `dbt build`.", info=True) }}
        {%- do record_audit([], publish={'status': 'not_published',
            'message': 'this run did not build ' ~ (missing | join(', '))}) -%}
        {{ return('select 1') }}
    {%- endif -%}

    {%- set warehouse = env_var('GDPR_WAREHOUSE_DIR', 'warehouse') -%}
    {%- set final = warehouse ~ '/analytics.duckdb' -%}
    {%- set staging = final ~ '.publishing' -%}
    {%- set shrink = release_shrink_check(releases, final) -%}
    {%- if shrink.refused -%}
        {%- do record_audit([], publish={'status': 'not_published',
            'message': 'release shrink: ' ~ (shrink.refused | join('; '))}) -%}
        {{ exceptions.raise_compiler_error("Analytics database NOT published: " ~ (shrink.refused | join('; '))
            ~ ". The previously published file is unchanged. If the shrink is reviewed and right, rebuild with "
            ~ "--vars '{allow_release_shrink: [<release>]}'.") }}
    {%- endif -%}
    {%- for allowed in shrink.allowed -%}
        {{ log("Release shrink allowed by var allow_release_shrink: " ~ allowed, info=True) }}
    {%- endfor -%}
    {%- do run_query("select gdpr_remove_file(" ~ sql_string(staging) ~ ")") -%}
    {%- do run_query("attach " ~ sql_string(staging) ~ " as analytics_publish") -%}
    {%- set published = [] -%}
    {%- for node in releases -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- do run_query("create table analytics_publish.main." ~ node.alias ~ " as select * from " ~ relation) -%}
        {%- if node.version is not none and node.version == node.latest_version -%}
            {%- do run_query("create view analytics_publish.main." ~ node.name ~ " as select * from " ~ node.alias) -%}
        {%- endif -%}
        {%- do published.append(node) -%}
    {%- endfor -%}
    {%- set release_metadata_sql -%}
        create table analytics_publish.main.release_metadata as
        select
            release_name,
            model_name,
            version,
            latest_version,
            purpose,
            '{{ invocation_id }}' as dbt_invocation_id,
            '{{ dbt_version }}' as dbt_version,
            {{ as_of() }} as as_of,
            {{ pseudonym_key_id() }} as key_id,
            cast(current_timestamp as timestamp) as published_at
        from (values
            {%- for node in published %}
            ('{{ node.alias }}', '{{ node.name }}', {{ node.version if node.version is not none else 'null' }},
             {{ node.latest_version if node.latest_version is not none else 'null' }}, '{{ node.config.meta.get("purpose", "") }}'){{ "," if not loop.last }}
            {%- endfor %}
        ) as releases(release_name, model_name, version, latest_version, purpose)
    {%- endset -%}
    {%- do run_query(release_metadata_sql) -%}
    {%- do run_query("detach analytics_publish") -%}
    {%- do run_query("select gdpr_replace_file(" ~ sql_string(staging) ~ ", " ~ sql_string(final) ~ ")") -%}
    {%- do record_audit([], publish={'status': 'published', 'message': 'published ' ~ published | length ~ ' releases'
        ~ ('; shrink allowed by allow_release_shrink: ' ~ (shrink.allowed | join('; ')) if shrink.allowed else '')}) -%}
    {{ log("Published " ~ published | length ~ " releases to " ~ final, info=True) }}
    select 1
{%- endmacro %}
