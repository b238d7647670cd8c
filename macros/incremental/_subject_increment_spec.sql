{% macro _subject_increment_spec() -%}
    {%- set spec = (config.get('meta') or {}).get('incremental_by_subject') -%}
    {%- if not spec -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " uses the incremental_by_subject hooks but has no meta.incremental_by_subject") }}
    {%- endif -%}
    {{ return(spec) }}
{%- endmacro %}
