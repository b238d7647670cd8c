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
    {%- set february = 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28 -%}
    {%- set days = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if m < 1 or m > 12 or d < 1 or d > days[m - 1] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if text | length > 10 and (text[11:13] | int > 23 or text[14:16] | int > 59
        or (text | length > 16 and text[17:19] | int > 59)) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(text, format)) }}
{%- endmacro %}
