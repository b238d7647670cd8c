{#- The meta of a release's latest version (purpose, quasi_identifiers, sensitive_attribute),
    so the report measures exactly the columns the release declares and the policy check
    (python -m gdpr_pipeline.policy) ties to its classes and its k_anonymous test. Empty while
    parsing, when the graph is not there yet. -#}
{% macro release_meta(model_name) -%}
    {%- if not execute -%}
        {{ return({}) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model_name and node.version == node.latest_version -%}
            {{ return(node.config.meta) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("release_meta: no model named " ~ model_name) }}
{%- endmacro %}
