{#- on-run-end: publish the releases to the analytics database, atomically.
    DuckDB: when every node of a build, run or retry succeeded, the releases (models with
    meta.release) it built are copied from the vault, and the others carried over unchanged from
    the current analytics.duckdb (macros/publish/releases_to_publish.sql), into a NEW file,
    analytics.duckdb.publishing, which is then renamed over analytics.duckdb. Readers see the old file or the new one, never
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
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set warehouse = env_var('GDPR_WAREHOUSE_DIR', 'warehouse') -%}
    {%- set final = warehouse ~ '/analytics.duckdb' -%}
    {%- set staging = final ~ '.publishing' -%}
    {%- set has_current = run_query("select count(*) from glob(" ~ sql_string(final) ~ ")")
        .columns[0].values()[0] > 0 -%}
    {#- Which releases to publish, and which to carry over: macros/publish/releases_to_publish.sql. -#}
    {%- set plan = gdpr_pipeline.releases_to_publish(results, has_current) -%}
    {%- if plan.refusal -%}
        {{ log("Analytics database NOT published: " ~ plan.refusal, info=True) }}
        {%- do record_audit([], publish={'status': 'not_published', 'message': plan.refusal}) -%}
        {{ return('select 1') }}
    {%- endif -%}

    {#- Only what this invocation built can have shrunk; carried releases are copied unchanged. -#}
    {%- set shrink = release_shrink_check(plan.built, final) -%}
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
    {#- Uncompressed: storage v1.0.0 compresses strings (FSST), which would hide a pseudonym's
        bytes from the byte scan of `erasure verify`; uncompressed, the scan can prove that no
        block of the new file holds an erased subject. Reset once the file is written. -#}
    {%- do run_query("set force_compression = 'uncompressed'") -%}
    {%- do run_query(gdpr_pipeline.attach_analytics_sql(staging, 'analytics_publish')) -%}
    {%- if plan.carried -%}
        {%- do run_query("attach " ~ sql_string(final) ~ " as analytics_current (read_only)") -%}
        {%- set carried_key_ids = gdpr_pipeline.carried_key_ids(plan.carried) -%}
        {%- if carried_key_ids != [gdpr_pipeline.session_key_id()] -%}
            {%- do run_query("detach analytics_current") -%}
            {%- do run_query("detach analytics_publish") -%}
            {%- do run_query("reset force_compression") -%}
            {%- do run_query("select gdpr_remove_file(" ~ sql_string(staging) ~ ")") -%}
            {%- set refusal = "the releases this invocation did not build were pseudonymized under key id(s) "
                ~ (carried_key_ids | join(', ')) ~ ", this build under " ~ gdpr_pipeline.session_key_id()
                ~ ". Publish with a full `dbt build`." -%}
            {{ log("Analytics database NOT published: " ~ refusal, info=True) }}
            {%- do record_audit([], publish={'status': 'not_published', 'message': refusal}) -%}
            {{ return('select 1') }}
        {%- endif -%}
    {%- endif -%}
    {%- set published = [] -%}
    {%- for node in plan.built + plan.carried -%}
        {%- if node in plan.built -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- else -%}
            {%- set relation = 'analytics_current.main.' ~ node.alias -%}
        {%- endif -%}
        {%- do run_query("create table analytics_publish.main." ~ node.alias ~ " as select * from " ~ relation) -%}
        {%- if node.version is not none and node.version == node.latest_version -%}
            {%- do run_query("create view analytics_publish.main." ~ node.name ~ " as select * from " ~ node.alias) -%}
        {%- endif -%}
        {%- do published.append(node) -%}
    {%- endfor -%}
    {%- set release_metadata_sql -%}
        create table analytics_publish.main.release_metadata as
        {%- if plan.built %}
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
            cast(current_timestamp as timestamp) as published_at,
            false as is_stale
        from (values
            {%- for node in plan.built %}
            ('{{ node.alias }}', '{{ node.name }}', {{ node.version if node.version is not none else 'null' }},
             {{ node.latest_version if node.latest_version is not none else 'null' }}, '{{ node.config.meta.get("purpose", "") }}'){{ "," if not loop.last }}
            {%- endfor %}
        ) as releases(release_name, model_name, version, latest_version, purpose)
        {%- endif %}
        {%- if plan.built and plan.carried %}
        union all by name
        {%- endif %}
        {%- if plan.carried %}
        {{ gdpr_pipeline.carried_release_metadata_sql(plan.carried, plan.stale) }}
        {%- endif %}
    {%- endset -%}
    {%- do run_query(release_metadata_sql) -%}
    {%- if plan.carried -%}
        {%- do run_query("detach analytics_current") -%}
    {%- endif -%}
    {%- do run_query("detach analytics_publish") -%}
    {%- do run_query("reset force_compression") -%}
    {%- do run_query("select gdpr_replace_file(" ~ sql_string(staging) ~ ", " ~ sql_string(final) ~ ")") -%}
    {%- do record_audit([], publish={'status': 'published', 'message': 'published ' ~ published | length ~ ' releases ('
        ~ plan.built | length ~ ' built, ' ~ plan.carried | length ~ ' carried over'
        ~ (', stale: ' ~ (plan.stale | map(attribute='alias') | join(', ')) if plan.stale else '') ~ ')'
        ~ ('; shrink allowed by allow_release_shrink: ' ~ (shrink.allowed | join('; ')) if shrink.allowed else '')}) -%}
    {{ log("Published " ~ published | length ~ " releases to " ~ final ~ " (" ~ plan.built | length
        ~ " built by this invocation, " ~ plan.carried | length ~ " carried over unchanged)", info=True) }}
    {%- if plan.stale -%}
        {{ log("Warning: stale releases: " ~ (plan.stale | map(attribute='alias') | join(', '))
            ~ ": this invocation rebuilt models upstream of them but not them; release_metadata marks them"
            ~ " is_stale. Rebuild them with `dbt build -s <release>`.", info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}
