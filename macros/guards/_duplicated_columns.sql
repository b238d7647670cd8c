{% macro _duplicated_columns(raw) -%}
    {%- set columns = run_query('select * from ' ~ raw.relation ~ ' limit 0').column_names | list -%}
    {%- set lowered = columns | map('lower') | list -%}
    {%- set problems = [] -%}
    {%- for column in lowered -%}
        {%- set match = modules.re.fullmatch('(.+)_[0-9]+', column) -%}
        {%- if (match and match.group(1) in lowered) or lowered.count(column) > 1 -%}
            {%- do problems.append(raw.path ~ ": the header names column '"
                ~ (match.group(1) if match else column) ~ "' more than once; keep one.") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems | unique | list) }}
{%- endmacro %}
