-- One row per contribution to a contact's total: matched rules, decay penalties, caps, feedback.
-- Invariant: per (model_id, contact_id) the points sum to contact_scores.total_score.
with

rules as (

    select
        model_id,
        contact_id,
        rule_id as contribution_id,
        'rule' as contribution_type,
        rule_id,
        cast(null as string) as decay_id,
        score_group,
        description,
        points,
        raw_points,
        activity_count,
        last_activity_at
    from {{ ref('int_rule_scores') }}

),

penalties as (

    select
        model_id,
        contact_id,
        decay_id as contribution_id,
        'decay' as contribution_type,
        cast(null as string) as rule_id,
        decay_id,
        'engagement' as score_group,
        coalesce(description, decay_kind) as description,
        points,
        raw_points,
        activity_count,
        last_activity_at
    from {{ ref('int_decay_penalties') }}

),

totals as (

    select * from {{ ref('int_contact_totals') }}

),

caps as (

    select
        model_id,
        contact_id,
        'cap:' || cap_group as contribution_id,
        'cap' as contribution_type,
        cast(null as string) as rule_id,
        cast(null as string) as decay_id,
        cap_group as score_group,
        cap_group || ' cap removed ' || cast(-points as string) as description,
        points,
        points as raw_points,
        cast(null as bigint) as activity_count,
        cast(null as timestamp) as last_activity_at
    from (
        select
            model_id,
            contact_id,
            'fit' as cap_group,
            fit_cap_points as points
        from totals
        union all
        select
            model_id,
            contact_id,
            'engagement' as cap_group,
            engagement_cap_points as points
        from totals
        union all
        select
            model_id,
            contact_id,
            'total' as cap_group,
            total_cap_points as points
        from totals
    ) as cap_amounts
    where points <> 0

),

feedback as (

    select
        model_id,
        contact_id,
        'feedback' as contribution_id,
        'feedback' as contribution_type,
        cast(null as string) as rule_id,
        cast(null as string) as decay_id,
        'feedback' as score_group,
        'sales feedback ' || feedback || ' on ' || cast(given_at as string)
        || coalesce(' by ' || given_by, '') as description,
        points,
        points as raw_points,
        cast(null as bigint) as activity_count,
        given_at as last_activity_at
    from {{ ref('int_contact_feedback') }}

),

published_contacts as (

    select * from {{ ref('int_published_contacts') }}

),

contributions as (

    select * from rules
    union all
    select * from penalties
    union all
    select * from caps
    union all
    select * from feedback

),

published_contributions as (

    select contributions.*
    from contributions
    semi join published_contacts
        on
            contributions.model_id = published_contacts.model_id
            and contributions.contact_id = published_contacts.contact_id

),

final as (

    select
        model_id,
        contact_id,
        contribution_id,
        contribution_type,
        rule_id,
        decay_id,
        score_group,
        description,
        -- One decimal type for points in every published table (lossless: 2 decimals).
        cast(points as {{ points_type() }}) as points,
        cast(raw_points as {{ points_type() }}) as raw_points,
        cast(activity_count as bigint) as activity_count,
        last_activity_at,
        {{ as_of() }} as as_of
    from published_contributions

)

select * from final
