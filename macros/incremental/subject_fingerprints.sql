{#- Per subject, the count and fingerprint of the input rows the model reads. -#}
{% macro subject_fingerprints(spec) -%}
    select
        subject_id,
        count(*) as input_rows,
        {{ gdpr_pipeline.fingerprint_sum('row_hash') }} as input_fingerprint
    from (
        {%- for input in spec['inputs'] %}
        select subject_id, {{ gdpr_pipeline.row_hash(input['columns']) }} as row_hash
        from {{ ref(input['model']) }}
        where {{ input['where'] | replace('{as_of}', as_of()) }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as inputs
    group by subject_id
{%- endmacro %}
