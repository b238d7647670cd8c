{#- Every purpose with a min_policy_version names a label of the policy versions registry for
    that purpose; otherwise no grant could be ordered against it. -#}
select
    purposes.purpose,
    purposes.min_policy_version
from {{ ref('purposes') }} as purposes
left join {{ ref('policy_versions') }} as versions
    on
        purposes.purpose = versions.purpose
        and purposes.min_policy_version = versions.version_label
where
    purposes.min_policy_version is not null
    and versions.version_label is null
