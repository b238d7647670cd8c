{#- Fails with the values of a column that takes more than one value in the model: the test
    behind a `k_exempt` column whose stated reason is that it is a constant (a constant splits
    no equivalence class, so leaving it out of k changes nothing). -#}
{% test constant_column(model, column_name) %}
    select {{ column_name }} as value, count(*) as rows_with_value
    from {{ model }}
    where (select count(distinct {{ column_name }}) from {{ model }}) > 1
    group by {{ column_name }}
{% endtest %}
