{#- Fails with every column of the released relation that the purpose's allowlist (seed
    purpose_columns) does not name. Reads the built relation's real columns, and logs each
    column it rejects, by relation and name. -#}
{% test columns_allowed_by_purpose(model, purpose) %}
    {%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
    {%- set failing -%}
    with actual as (
        {%- for column in columns %}
        select '{{ column.name | lower }}' as column_name{{ " union all" if not loop.last }}
        {%- endfor %}
        {%- if not columns %}
        select cast(null as string) as column_name where 1 = 0
        {%- endif %}
    ),
    allowed as (
        select lower(column_name) as column_name
        from {{ ref('purpose_columns') }}
        where purpose = '{{ purpose }}'
    )
    select '{{ model }}' as relation, '{{ purpose }}' as purpose, actual.column_name
    from actual
    left join allowed
        on actual.column_name = allowed.column_name
    where allowed.column_name is null
    {%- endset -%}
    {%- if columns and load_relation(ref('purpose_columns')) is not none -%}
        {%- for row in run_query(failing).rows -%}
            {{ log("columns_allowed_by_purpose failed: " ~ model.identifier ~ "." ~ row[2]
                ~ " is not in the allowlist of purpose " ~ purpose ~ " (seeds/purpose_columns.csv)", info=True) }}
        {%- endfor -%}
    {%- endif %}
    {{ failing }}
{% endtest %}
