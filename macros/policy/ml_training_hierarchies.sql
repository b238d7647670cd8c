{#- The generalization hierarchies of ml_training_set v3, one per released column besides the
    pseudonym, key_id and the label, finest level first; every band edge is a var
    (dbt_project.yml, docs/policy.md section 3). The last level of each is 'any', so the top of
    the lattice (every column 'any', classes by label only) always exists. Read by the lattice
    search (int_ml_training_lattice) and the release (int_ml_training_released), so both
    recode with the same expressions. -#}
{% macro ml_training_hierarchies() -%}
    {{ return([
        {'name': 'age_band', 'levels': [
            band('age_years', var('age_band_edges')),
            band('age_years', var('age_band_edges_coarse')),
            "'any'"]},
        {'name': 'income_band', 'levels': [
            band('annual_income_eur', var('income_band_edges_eur')),
            band('annual_income_eur', var('income_band_edges_eur_coarse')),
            "'any'"]},
        {'name': 'country_group', 'levels': ['country_group', "'any'"]},
        {'name': 'purchases_12m_band', 'levels': [
            band('purchases_12m', var('purchases_12m_band_edges')),
            band('purchases_12m', var('purchases_12m_band_edges_coarse')),
            "'any'"]},
        {'name': 'categories_12m_band', 'levels': [
            band('categories_12m', var('categories_12m_band_edges')),
            band('categories_12m', var('categories_12m_band_edges_coarse')),
            "'any'"]},
        {'name': 'spend_12m_band', 'levels': [
            band('spend_12m_eur', var('spend_12m_band_edges_eur')),
            band('spend_12m_eur', var('spend_12m_band_edges_eur_coarse')),
            "'any'"]},
    ]) }}
{%- endmacro %}
