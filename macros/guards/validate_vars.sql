{#- on-run-start, first hook: every var the models read is checked before anything runs, and a
    bad one stops the invocation with a message naming the var, its value and what is allowed.
    The privacy floors (k >= 5, l >= 2 unless the purposes registry says otherwise) live in
    the registry's config (seeds/_seeds.yml, purposes: meta.privacy_floor), so going lower is
    a reviewed registry change, shown on the evidence page, never a command-line flag. -#}
{% macro validate_vars() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set floor = privacy_floor() -%}
    {%- for name in ('k_min', 'l_min') -%}
        {%- set value = var(name) -%}
        {%- if not _is_integer(value) or value < floor[name] -%}
            {%- do problems.append("var " ~ name ~ " = " ~ _shown(value) ~ ": must be an integer >= "
                ~ floor[name] ~ " (the policy floor privacy_floor." ~ name ~ " of the purposes registry, seeds/_seeds.yml)") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in ('label_window_days', 'feature_window_days') -%}
        {%- set value = var(name) -%}
        {%- if not _is_integer(value) or value < 1 -%}
            {%- do problems.append("var " ~ name ~ " = " ~ _shown(value) ~ ": must be an integer >= 1 (days)") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set band_vars = (
        'age_band_edges', 'age_band_edges_coarse', 'income_band_edges_eur', 'income_band_edges_eur_coarse') -%}
    {%- for name in band_vars -%}
        {%- set edges = var(name) -%}
        {%- set ns = namespace(ok=(edges is sequence and edges is not string and edges | length > 0), previous=none) -%}
        {%- if ns.ok -%}
            {%- for edge in edges -%}
                {%- if not _is_number(edge) or (ns.previous is not none and edge <= ns.previous) -%}
                    {%- set ns.ok = false -%}
                {%- endif -%}
                {%- set ns.previous = edge if _is_number(edge) else ns.previous -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if not ns.ok -%}
            {%- do problems.append("var " ~ name ~ " = " ~ _shown(edges)
                ~ ": must be a non-empty list of numbers in strictly ascending order") -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The DP release's public categories: each is a key of its public cells and a literal in
        the bounding SQL, so the list is checked here (a repeat would double its cells). -#}
    {%- set categories = var('dp_categories') -%}
    {%- set ns = namespace(ok=(categories is sequence and categories is not string and categories | length > 0)) -%}
    {%- set word = '[A-Za-z0-9_&-]+' -%}
    {%- if ns.ok -%}
        {%- for category in categories -%}
            {%- if category is not string or not modules.re.fullmatch(word ~ '( ' ~ word ~ ')*', category) -%}
                {%- set ns.ok = false -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set ns.ok = ns.ok and (categories | unique | list | length) == (categories | length) -%}
    {%- endif -%}
    {%- if not ns.ok -%}
        {%- do problems.append("var dp_categories = " ~ _shown(categories)
            ~ ": must be a non-empty list of distinct category names (letters, digits, '_', '&', '-' and single spaces)") -%}
    {%- endif -%}
    {%- set share = var('release_shrink_min_share', 0.5) -%}
    {%- if not _is_number(share) or share <= 0 or share > 1 -%}
        {%- do problems.append("var release_shrink_min_share = " ~ _shown(share) ~ ": must be a number in (0, 1]") -%}
    {%- endif -%}
    {%- set as_of_problem = as_of_problem() -%}
    {%- if as_of_problem -%}
        {%- do problems.append(as_of_problem) -%}
    {%- endif -%}
    {%- if problems -%}
        {{ guard_failed("Invalid vars; nothing was built or published:\n  - " ~ (problems | join("\n  - "))) }}
    {%- endif -%}
    select 1
{%- endmacro %}
