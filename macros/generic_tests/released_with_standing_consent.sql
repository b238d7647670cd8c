{#- Fails with every released row whose subject has no consent interval for the purpose that
    contains as_of. Re-derived from the intervals, independently of the eligibility model. -#}
{% test released_with_standing_consent(model, purpose, pseudonym_column='subject_pseudonym') %}
    with released as (
        select {{ pseudonym_column }} as subject_pseudonym from {{ model }}
    ),
    standing as (
        select pseudonyms.subject_pseudonym
        from {{ ref('int_subject_pseudonyms') }} as pseudonyms
        inner join {{ ref('int_consent_events_to_intervals') }} as intervals
            on pseudonyms.subject_id = intervals.subject_id
            and intervals.purpose = '{{ purpose }}'
        where pseudonyms.pseudonym_domain = '{{ purpose }}'
            and intervals.valid_from <= {{ as_of() }}
            and (intervals.valid_to is null or intervals.valid_to > {{ as_of() }})
    )
    select released.subject_pseudonym
    from released
    left join standing
        on released.subject_pseudonym = standing.subject_pseudonym
    where standing.subject_pseudonym is null
{% endtest %}
