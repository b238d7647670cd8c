{#- Fails with every combination of quasi-identifiers shared by fewer than k distinct
    subjects. Counts people, not rows: one person with many rows is still one. On failure it
    also logs the relation, the quasi-identifiers and the number of classes below k (never
    their values, which would single people out in the logs). -#}
{% test k_anonymous(model, quasi_identifiers, k, subject_column='subject_pseudonym') %}
    {%- set failing -%}
    select
        {% for qi in quasi_identifiers %}{{ qi }}, {% endfor %}
        count(distinct {{ subject_column }}) as distinct_subjects
    from {{ model }}
    group by {% for qi in quasi_identifiers %}{{ qi }}{{ ", " if not loop.last }}{% endfor %}
    having count(distinct {{ subject_column }}) < {{ k }}
    {%- endset -%}
    {%- if execute and load_relation(model) is not none -%}
        {%- set found = run_query("select count(*), min(distinct_subjects) from (" ~ failing ~ ") as failing") -%}
        {%- if found.rows[0][0] > 0 -%}
            {{ log("k_anonymous failed: " ~ model.identifier ~ ": " ~ found.rows[0][0] ~ " combination(s) of ("
                ~ quasi_identifiers | join(", ") ~ ") held by fewer than " ~ k ~ " distinct subjects (smallest: "
                ~ found.rows[0][1] ~ ")", info=True) }}
        {%- endif -%}
    {%- endif %}
    {{ failing }}
{% endtest %}
