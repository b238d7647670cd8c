{#- DuckDB: schemas are named for their layer (staging, intermediate, quarantine, releases,
    registry); the database file is the project's own namespace.
    Spark: a metastore is shared by every job on the cluster, so each layer's schema carries the
    target schema as a prefix (gdpr_staging, gdpr_releases, ...); the layer names are the same. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('generate_schema_name', 'gdpr_pipeline')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {{ return((custom_schema_name or target.schema) | trim) }}
{%- endmacro %}

{% macro spark__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name -%}
        {{ return(target.schema ~ '_' ~ (custom_schema_name | trim)) }}
    {%- endif -%}
    {{ return(target.schema | trim) }}
{%- endmacro %}
