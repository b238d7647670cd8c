{#- Every release reaches the k (and, where it has a sensitive attribute, the l) it requires,
    requires at least the project's k_min and l_min, and releases no more subjects than were
    eligible. Returns the releases that do not. An empty release has no class, so no k to
    reach: the publish step's shrink guard refuses it (macros/guards/release_shrink_check.sql). -#}
{{ config(severity='error') }}

select
    release_name,
    k_required,
    k_achieved,
    l_required,
    l_achieved,
    eligible_subjects,
    released_subjects
from {{ ref('release_privacy_report') }}
where
    k_required < {{ var('k_min') }}
    or (l_required is not null and l_required < {{ var('l_min') }})
    or released_subjects > eligible_subjects
    or (
        coalesce(released_subjects, 0) > 0
        and (
            k_achieved is null
            or k_achieved < k_required
            or (l_required is not null and coalesce(l_achieved, 0) < l_required)
        )
    )
