{#- Post-hook of every model and seed: each column the node actually built is declared in
    YAML with a class from the vocabulary, and a release (meta.release) has no
    direct_identifier. Runs right after the node is built, so it sees this build's columns
    (a singular test could run before the node is built and see last build's). Raises an
    error naming the node and the column, which fails the node, skips its children and
    stops the analytics database from being published. -#}
{% macro assert_columns_classified() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set name = model.name ~ ('_v' ~ model.version if model.get('version') is not none else '') -%}
    {%- set is_release = (model.config.meta or {}).get('release', false) -%}
    {%- set vocabulary = personal_data_classes() -%}
    {%- set declared = {} -%}
    {%- for column in model.columns.values() -%}
        {%- do declared.update({column.name | lower: personal_data_class(column)}) -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- set key = column.name | lower -%}
        {%- if key not in declared -%}
            {%- do problems.append(name ~ '.' ~ column.name ~ ': built but not declared and classified') -%}
        {%- elif declared[key] not in vocabulary -%}
            {%- do problems.append(name ~ '.' ~ column.name ~ ': no valid meta.personal_data class (got ' ~ declared[key] ~ ')') -%}
        {%- elif is_release and declared[key] == 'direct_identifier' -%}
            {%- do problems.append(name ~ '.' ~ column.name ~ ': direct_identifier in a release') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Column policy: " ~ (problems | join("; Column policy: "))) }}
    {%- endif -%}
    select 1
{%- endmacro %}
