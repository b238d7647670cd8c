{#- Each stage of the funnel holds at most the subjects of the stage before it: input >=
    eligible >= minimized >= released (a stage an aggregate purpose does not have is null).
    Returns the purposes where a stage grows. -#}
{{ config(severity='error') }}

select
    purpose,
    input_subjects,
    eligible_subjects,
    minimized_subjects,
    released_subjects
from {{ ref('release_funnel') }}
where
    input_subjects is null
    or eligible_subjects > input_subjects
    or minimized_subjects > eligible_subjects
    or released_subjects > coalesce(minimized_subjects, eligible_subjects)
    or (minimized_subjects is null and released_subjects is not null)
