{#- The personal-data classification vocabulary (docs/policy.md). One list, read by the
    post-hook assert_columns_classified, the singular test tests/policy/assert_every_column_classified.sql and,
    through the manifest, python/src/gdpr_pipeline/policy.py. -#}
{% macro personal_data_classes() -%}
    {{ return(['direct_identifier', 'quasi_identifier', 'sensitive', 'pseudonym', 'behavioural', 'non_personal']) }}
{%- endmacro %}
