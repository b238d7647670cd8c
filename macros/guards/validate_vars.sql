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
    {%- for name in ('age_band_edges', 'age_band_edges_coarse', 'income_band_edges_eur', 'income_band_edges_eur_coarse') -%}
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
            {%- do problems.append("var " ~ name ~ " = " ~ _shown(edges) ~ ": must be a non-empty list of numbers in strictly ascending order") -%}
        {%- endif -%}
    {%- endfor -%}
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

{#- The floors below which k_min and l_min may not go, from the purposes registry's config. -#}
{% macro privacy_floor() -%}
    {%- set floor = {'k_min': 5, 'l_min': 2} -%}
    {%- set node = graph.nodes.get('seed.gdpr_pipeline.purposes') -%}
    {%- if node is not none -%}
        {%- do floor.update((node.config.meta or {}).get('privacy_floor', {})) -%}
    {%- endif -%}
    {{ return(floor) }}
{%- endmacro %}

{#- Why var as_of is unusable, or an empty string when it is fine (empty means the build's start). -#}
{% macro as_of_problem() -%}
    {%- set value = var('as_of', '') -%}
    {%- if value is none or value == '' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set parsed = none -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?', text) -%}
        {%- set parsed = _parse_timestamp(text) -%}
    {%- endif -%}
    {%- if parsed is none -%}
        {{ return("var as_of = " ~ _shown(value) ~ ": must be a timestamp 'YYYY-MM-DD[ HH:MM[:SS]]' (UTC), or empty for the build's start") }}
    {%- endif -%}
    {%- set started = run_started_at.replace(tzinfo=none) -%}
    {%- if parsed > started -%}
        {{ return("var as_of = " ~ _shown(value) ~ ": is in the future (the build started at "
            ~ started.strftime('%Y-%m-%d %H:%M:%S') ~ " UTC); a release cannot describe consent that is not recorded yet") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro _parse_timestamp(text) -%}
    {%- for format in ('%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d') -%}
        {%- set parsed = _try_strptime(text, format) -%}
        {%- if parsed is not none -%}
            {{ return(parsed) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- strptime raises on a mismatch (or a 30 February); only formats matching the text's shape are tried. -#}
{% macro _try_strptime(text, format) -%}
    {%- set shapes = {
        '%Y-%m-%d %H:%M:%S.%f': '.{10} .{8}[.].+', '%Y-%m-%dT%H:%M:%S.%f': '.{10}T.{8}[.].+',
        '%Y-%m-%d %H:%M:%S': '.{10} .{8}', '%Y-%m-%dT%H:%M:%S': '.{10}T.{8}',
        '%Y-%m-%d %H:%M': '.{10} .{5}', '%Y-%m-%dT%H:%M': '.{10}T.{5}', '%Y-%m-%d': '.{10}'} -%}
    {%- if not modules.re.fullmatch(shapes[format], text) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set y, m, d = text[:4] | int, text[5:7] | int, text[8:10] | int -%}
    {%- set days = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if m < 1 or m > 12 or d < 1 or d > days[m - 1] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if text | length > 10 and (text[11:13] | int > 23 or text[14:16] | int > 59 or (text | length > 16 and text[17:19] | int > 59)) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(text, format)) }}
{%- endmacro %}

{% macro _is_integer(value) -%}
    {{ return(value is number and value is not boolean and value is integer) }}
{%- endmacro %}

{% macro _is_number(value) -%}
    {{ return(value is number and value is not boolean) }}
{%- endmacro %}

{% macro _shown(value) -%}
    {{ return((value | tojson) if value is not string else "'" ~ value ~ "'") }}
{%- endmacro %}

{#- as_of for the audit record: null rather than a failing cast when the var is unusable, so
    an invocation stopped by validate_vars is still recorded. -#}
{% macro as_of_or_null() -%}
    {%- if as_of_problem() -%}
        {{ return('cast(null as timestamp)') }}
    {%- endif -%}
    {{ return(as_of()) }}
{%- endmacro %}

{#- Stops the invocation from an on-run-start guard: the failure is first appended to the audit
    trail (on-run-end does not run after a failed on-run-start), then raised. -#}
{% macro guard_failed(message) -%}
    {%- if flags.WHICH in ('build', 'run', 'seed', 'snapshot', 'test', 'retry') -%}
        {%- do gdpr_pipeline.record_audit([], failure=message) -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(message) }}
{%- endmacro %}
