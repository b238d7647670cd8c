{#- Fails with every non-null value that does not match the whole pattern. -#}
{% test matches_regex(model, column_name, pattern) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and not {{ gdpr_pipeline.matches_pattern(column_name, pattern) }}
{% endtest %}
