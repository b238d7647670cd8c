{#- Fails with every interval that starts before the previous one in its partition ends. -#}
{% test intervals_do_not_overlap(model, partition_by, from_column='valid_from', to_column='valid_to') %}
    select * from (
        select
            {{ partition_by | join(", ") }},
            {{ from_column }},
            lag({{ to_column }}) over (partition by {{ partition_by | join(", ") }} order by {{ from_column }}) as previous_to,
            row_number() over (partition by {{ partition_by | join(", ") }} order by {{ from_column }}) as position
        from {{ model }}
    ) as ordered
    where position > 1 and (previous_to is null or previous_to > {{ from_column }})
{% endtest %}
