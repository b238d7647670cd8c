{#- Warns (never fails) with the count of quarantined rows per source and reason, so every
    build says how many input rows were rejected and why. -#}
{{ config(severity='warn') }}

select
    source_table,
    rejection_reason,
    count(*) as quarantined_rows
from {{ ref('quarantine_records') }}
group by source_table, rejection_reason
