{#- Policy: every column of every model, seed and source carries meta.personal_data from the
    vocabulary, every built column is declared, and no release has a column classified
    direct_identifier. Returns one row per violation, naming the node and the column; the
    violations are also logged by name. The declared-column checks are static (the graph);
    the built-column check is a backstop for `dbt test`: in a build this test may run before
    a model is rebuilt, so the authoritative built-column check is the post-hook
    assert_columns_classified (macros/policy/assert_columns_classified.sql). -#}
{{ config(severity='error') }}

{%- set vocabulary = personal_data_classes() -%}
{%- set problems = [] -%}
{%- if execute -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'in', ['model', 'seed'])
        | list + graph.sources.values() | list -%}
    {%- for node in nodes if node.package_name == 'gdpr_pipeline' -%}
        {%- set name = node.name ~ ('_v' ~ node.version if node.version else '') -%}
        {%- set is_release = (node.config.meta or {}).get('release', false) -%}
        {%- set declared = {} -%}
        {%- for column in node.columns.values() -%}
            {%- set cls = personal_data_class(column) -%}
            {%- do declared.update({column.name | lower: cls}) -%}
            {%- if cls not in vocabulary -%}
                {%- do problems.append((name, column.name, 'no valid meta.personal_data class (got ' ~ cls ~ ')')) -%}
            {%- elif is_release and cls == 'direct_identifier' -%}
                {%- do problems.append((name, column.name, 'direct_identifier in a release')) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if node.resource_type == 'model' -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- if column.name | lower not in declared -%}
                        {%- do problems.append((name, column.name, 'built but not declared and classified')) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for problem in problems -%}
        {{ log("Column policy: " ~ problem[0] ~ "." ~ problem[1] ~ ": " ~ problem[2], info=True) }}
    {%- endfor -%}
{%- endif -%}

{%- if problems %}
{%- for problem in problems %}
select '{{ problem[0] }}' as node_name, '{{ problem[1] }}' as column_name, '{{ problem[2] }}' as problem
{{ "union all" if not loop.last }}
{%- endfor %}
{%- else %}
select
    cast(null as string) as node_name,
    cast(null as string) as column_name,
    cast(null as string) as problem
where 1 = 0
{%- endif %}
