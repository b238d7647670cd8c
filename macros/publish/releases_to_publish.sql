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
