{#- A count rounded to the nearest multiple of var('governance_count_rounding'), for the copies
    of the governance reports published to analytics.duckdb: one person more or less no longer
    shows as a difference of one (docs/policy.md, section 7). -#}
{% macro round_count(column) -%}
    {%- set step = var('governance_count_rounding') | int -%}
    {%- if step < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var governance_count_rounding must be a whole number of at least 1, got "
            ~ var('governance_count_rounding')) }}
    {%- endif -%}
    cast(round({{ column }} / {{ step }}.0) * {{ step }} as bigint)
{%- endmacro %}
