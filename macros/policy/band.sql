{#- A value cut into labelled bands by lower edges: edges [18, 30, 40] give '18-29', '30-39',
    '40+'. Null gives 'unknown' and a value below the first edge 'below <edge>', so a band is
    never null (k-anonymity classes compare bands with =). -#}
{% macro band(column, edges) -%}
    case
        when {{ column }} is null then 'unknown'
        {%- for i in range(edges | length - 1, -1, -1) %}
        when {{ column }} >= {{ edges[i] }} then
            {%- if loop.first %} '{{ edges[i] }}+'
            {%- else %} '{{ edges[i] }}-{{ edges[i + 1] - 1 }}'
            {%- endif %}
        {%- endfor %}
        else 'below {{ edges[0] }}'
    end
{%- endmacro %}
