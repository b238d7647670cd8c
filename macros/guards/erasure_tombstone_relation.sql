{#- The vault's erasure tombstone (request_id, pseudonyms), if a build made it already. -#}
{% macro erasure_tombstone_relation() -%}
    {%- set node = graph.nodes.get('model.gdpr_pipeline.int_erasure_tombstones') -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
