{#- Fails with every released pseudonym that belongs to a subject with an erasure request
    (the tombstone holds their pseudonyms per domain, never their identifiers). -#}
{% test no_erased_subject(model, pseudonym_domain, pseudonym_column='subject_pseudonym') %}
    select released.{{ pseudonym_column }}
    from {{ model }} as released
    inner join {{ ref('int_erasure_tombstones') }} as tombstones
        on released.{{ pseudonym_column }} = tombstones.subject_pseudonym
        and tombstones.pseudonym_domain = '{{ pseudonym_domain }}'
{% endtest %}
