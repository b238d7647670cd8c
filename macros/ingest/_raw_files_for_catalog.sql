{#- The raw files that `dbt docs generate` describes as the app source's tables: one dict
    (database, schema, name, path, relation) per source table whose file is found under raw_dir
    in the catalog's database. A missing or doubled file is left out with a log line: the docs
    still build, the source then shows its declared columns only. -#}
{% macro _raw_files_for_catalog(information_schema) -%}
    {%- set files = [] -%}
    {%- set sources = graph.sources.values() | selectattr('package_name', 'equalto', 'gdpr_pipeline')
        | selectattr('source_name', 'equalto', 'app') | sort(attribute='name') -%}
    {%- for node in sources if node.database | lower == information_schema.database | lower -%}
        {%- set found = _raw_file_candidates(node.name) -%}
        {%- if found | length == 1 -%}
            {%- do files.append({'database': node.database, 'schema': node.schema, 'name': node.identifier,
                'path': found[0], 'relation': _duckdb_raw_relation(found[0])}) -%}
        {%- else -%}
            {{ log("dbt docs: " ~ found | length ~ " files for source app." ~ node.name ~ " under raw_dir "
                ~ var('raw_dir') ~ "; the catalog leaves it out", info=True) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
{%- endmacro %}
