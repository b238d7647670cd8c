{#- One row of release_privacy_report for a row-level release: the k (and l) it achieves,
    counted over distinct subjects, and how many eligible subjects generalization suppressed. -#}
{% macro privacy_metrics(release_name, purpose, relation, quasi_identifiers, candidates, sensitive_column=none) -%}
    select
        '{{ release_name }}' as release_name,
        '{{ purpose }}' as purpose,
        '{{ quasi_identifiers | join(", ") }}' as quasi_identifiers,
        {{ "'" ~ sensitive_column ~ "'" if sensitive_column else "cast(null as string)" }} as sensitive_attribute,
        {{ var('k_min') }} as k_required,
        coalesce(min(classes.class_subjects), 0) as k_achieved,
        {{ var('l_min') if sensitive_column else 'cast(null as integer)' }} as l_required,
        {{ 'min(classes.class_sensitive_values)' if sensitive_column else 'cast(null as integer)' }} as l_achieved,
        (select count(*) from {{ candidates }}) as eligible_subjects,
        coalesce(sum(classes.class_subjects), 0) as released_subjects,
        cast(null as integer) as suppressed_cells
    from (
        select
            count(distinct subject_pseudonym) as class_subjects,
            count(distinct {{ sensitive_column if sensitive_column else "''" }}) as class_sensitive_values
        from {{ relation }}
        group by {{ quasi_identifiers | join(", ") }}
    ) as classes
{%- endmacro %}
