{#- Every row of `relation` with is_known_subject: whether its subject_id is in `subjects`
    (a null subject_id on either side matches nothing). The two engines need two spellings for the same
    answer (docs/benchmarks.md): DuckDB plans a left join of 10M purchases to the 1M subjects
    with the hash table on the purchases (all their columns), so it gets a membership test
    (a mark join that probes the subject ids); Spark plans that membership test in a select
    list as a null-aware nested-loop join and a correlated exists above a union fails to plan
    ("key not found: subject_id"), so it gets the left join, which it hashes or sorts. A row
    with a null subject_id is not known. -#}
{% macro known_subject_flagged(relation, subjects) -%}
    {{ return(adapter.dispatch('known_subject_flagged', 'gdpr_pipeline')(relation, subjects)) }}
{%- endmacro %}

{% macro default__known_subject_flagged(relation, subjects) -%}
    select
        {{ relation }}.*,
        coalesce(
            {{ relation }}.subject_id in (
                select {{ subjects }}.subject_id from {{ subjects }}
                where {{ subjects }}.subject_id is not null
            ),
            false
        ) as is_known_subject
    from {{ relation }}
{%- endmacro %}

{% macro spark__known_subject_flagged(relation, subjects) -%}
    select
        {{ relation }}.*,
        {{ subjects }}.subject_id is not null as is_known_subject
    from {{ relation }}
    left join {{ subjects }}
        on {{ relation }}.subject_id = {{ subjects }}.subject_id
{%- endmacro %}
