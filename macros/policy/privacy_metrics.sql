{#- One row of release_privacy_report for a row-level release: the k (and l) it achieves and
    how many eligible subjects generalization suppressed. Every count is over distinct
    subjects, not rows, so a subject with several rows (or in two classes) counts once.
    `candidates` is the relation (or aliased subquery) of subjects eligible for the release,
    with their key in `candidate_subject_column`. k is counted over all `quasi_identifiers`
    (the sensitive column too, when the release declares it among them); l over the other ones. -#}
{% macro privacy_metrics(
    release_name, purpose, relation, quasi_identifiers, candidates, sensitive_column=none,
    subject_column='subject_pseudonym', candidate_subject_column='subject_pseudonym'
) -%}
    select
        '{{ release_name }}' as release_name,
        '{{ purpose }}' as purpose,
        '{{ quasi_identifiers | join(", ") }}' as quasi_identifiers,
        {{ "'" ~ sensitive_column ~ "'" if sensitive_column else "cast(null as string)" }} as sensitive_attribute,
        {{ var('k_min') }} as k_required,
        coalesce(min(classes.class_subjects), 0) as k_achieved,
        {{ var('l_min') if sensitive_column else 'cast(null as integer)' }} as l_required,
        {%- if sensitive_column %}
        (select min(class_sensitive_values) from (
            select count(distinct {{ sensitive_column }}) as class_sensitive_values
            from {{ relation }}
            {%- set l_columns = quasi_identifiers | reject('equalto', sensitive_column) | list %}
            {%- if l_columns %}
            group by {{ l_columns | join(", ") }}
            {%- endif %}
        ) as l_classes) as l_achieved,
        {%- else %}
        cast(null as integer) as l_achieved,
        {%- endif %}
        (select count(distinct {{ candidate_subject_column }}) from {{ candidates }}) as eligible_subjects,
        (select count(distinct {{ subject_column }}) from {{ relation }}) as released_subjects,
        cast(null as integer) as suppressed_cells
    from (
        select
            count(distinct {{ subject_column }}) as class_subjects
        from {{ relation }}
        group by {{ quasi_identifiers | join(", ") }}
    ) as classes
{%- endmacro %}
