{#- Fails with every combination of quasi-identifiers in which the sensitive attribute takes
    fewer than l distinct values (distinct l-diversity). On failure it also logs the relation,
    the columns and the number of classes below l. -#}
{% test l_diverse(model, quasi_identifiers, sensitive_column, l) %}
    {%- set failing -%}
    select
        {% for qi in quasi_identifiers %}{{ qi }}, {% endfor %}
        count(distinct {{ sensitive_column }}) as distinct_sensitive_values
    from {{ model }}
    group by {% for qi in quasi_identifiers %}{{ qi }}{{ ", " if not loop.last }}{% endfor %}
    having count(distinct {{ sensitive_column }}) < {{ l }}
    {%- endset -%}
    {%- if execute and load_relation(model) is not none -%}
        {%- set found = run_query("select count(*) from (" ~ failing ~ ") as failing") -%}
        {%- if found.rows[0][0] > 0 -%}
            {{ log("l_diverse failed: " ~ model.identifier ~ "." ~ sensitive_column ~ ": " ~ found.rows[0][0]
                ~ " combination(s) of (" ~ quasi_identifiers | join(", ") ~ ") with fewer than " ~ l
                ~ " distinct values", info=True) }}
        {%- endif -%}
    {%- endif %}
    {{ failing }}
{% endtest %}
