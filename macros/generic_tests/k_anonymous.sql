{#- Fails with every combination of quasi-identifiers shared by fewer than k distinct
    subjects. Counts people, not rows: one person with many rows is still one. -#}
{% test k_anonymous(model, quasi_identifiers, k, subject_column='subject_pseudonym') %}
    select
        {% for qi in quasi_identifiers %}{{ qi }}, {% endfor %}
        count(distinct {{ subject_column }}) as distinct_subjects
    from {{ model }}
    group by {% for qi in quasi_identifiers %}{{ qi }}{{ ", " if not loop.last }}{% endfor %}
    having count(distinct {{ subject_column }}) < {{ k }}
{% endtest %}
