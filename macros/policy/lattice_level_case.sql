{#- The released value of hierarchy `h` at the level held in `level_column`: a case over the
    level columns of lattice_values (prefixed with `prefix`). -#}
{% macro lattice_level_case(h, level_column, prefix) -%}
    case {{ level_column }}
        {%- for expression in h['levels'] %}
        when {{ loop.index0 }} then {{ prefix }}{{ h['name'] }}__{{ loop.index0 }}
        {%- endfor %}
    end
{%- endmacro %}
