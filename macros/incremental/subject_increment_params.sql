{#- Everything a row depends on besides its subject's inputs, as one fingerprint. -#}
{% macro subject_increment_params(spec) -%}
    {%- set parts = ['as_of=' ~ as_of(), 'code=' ~ model.raw_code] -%}
    {%- for name in spec.get('rules', []) -%}
        {%- set table = run_query('select * from ' ~ ref(name)) -%}
        {%- set rows = [] -%}
        {%- for row in table.rows -%}
            {%- do rows.append(row.values() | map('string') | list | tojson) -%}
        {%- endfor -%}
        {%- do parts.append(name ~ '=' ~ (table.column_names | list | tojson) ~ ':' ~ (rows | sort | join('\n'))) -%}
    {%- endfor -%}
    {%- for name in spec.get('vars', []) -%}
        {%- do parts.append('var.' ~ name ~ '=' ~ var(name)) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
