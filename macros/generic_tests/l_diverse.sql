{#- Fails with every combination of quasi-identifiers in which the sensitive attribute takes
    fewer than l distinct values (distinct l-diversity). -#}
{% test l_diverse(model, quasi_identifiers, sensitive_column, l) %}
    select
        {% for qi in quasi_identifiers %}{{ qi }}, {% endfor %}
        count(distinct {{ sensitive_column }}) as distinct_sensitive_values
    from {{ model }}
    group by {% for qi in quasi_identifiers %}{{ qi }}{{ ", " if not loop.last }}{% endfor %}
    having count(distinct {{ sensitive_column }}) < {{ l }}
{% endtest %}
