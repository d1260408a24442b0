-- Scores per model and contact: group sums, caps (as amounts removed), feedback and the total.
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

models as (

    select * from {{ ref('int_models') }}

),

rule_sums as (

    select
        model_id,
        contact_id,
        sum(points) filter (where score_group = 'fit') as fit_points,
        sum(raw_points) filter (where score_group = 'engagement') as engagement_raw,
        sum(points - raw_points) filter (where score_group = 'engagement') as rule_decay,
        max(last_activity_at) as last_matched_activity_at
    from {{ ref('int_rule_scores') }}
    group by model_id, contact_id

),

penalty_sums as (

    select
        model_id,
        contact_id,
        sum(points) as penalty_points
    from {{ ref('int_decay_penalties') }}
    group by model_id, contact_id

),

last_activity as (

    select
        contact_id,
        max(occurred_at) as last_activity_at
    from {{ ref('int_activities') }}
    group by contact_id

),

feedback as (

    select * from {{ ref('int_contact_feedback') }}

),

groups as (

    select
        scored.model_id,
        scored.contact_id,
        models.total_cap,
        cast(coalesce(rule_sums.fit_points, 0) as decimal(18, 2)) as fit_uncapped,
        cast(coalesce(rule_sums.engagement_raw, 0) as decimal(18, 2)) as engagement_raw,
        cast(
            coalesce(rule_sums.rule_decay, 0) + coalesce(penalty_sums.penalty_points, 0)
            as decimal(18, 2)
        ) as decay_points,
        {{ round_points('models.fit_cap') }} as fit_cap,
        {{ round_points('models.engagement_cap') }} as engagement_cap,
        cast(coalesce(feedback.points, 0) as decimal(18, 2)) as feedback_points,
        last_activity.last_activity_at
    from scored
    inner join models on scored.model_id = models.model_id
    left join rule_sums
        on scored.model_id = rule_sums.model_id and scored.contact_id = rule_sums.contact_id
    left join penalty_sums
        on scored.model_id = penalty_sums.model_id and scored.contact_id = penalty_sums.contact_id
    left join feedback
        on scored.model_id = feedback.model_id and scored.contact_id = feedback.contact_id
    left join last_activity on scored.contact_id = last_activity.contact_id

),

group_caps as (

    select
        *,
        engagement_raw + decay_points as engagement_uncapped,
        {{ cap_abs('fit_uncapped', 'fit_cap') }} - fit_uncapped as fit_cap_points,
        {{ cap_abs('engagement_raw + decay_points', 'engagement_cap') }}
        - (engagement_raw + decay_points) as engagement_cap_points
    from groups

),

total_cap as (

    select
        *,
        fit_uncapped + fit_cap_points as fit_score,
        engagement_uncapped + engagement_cap_points as engagement_score,
        {{ round_points('total_cap') }} as total_cap_limit
    from group_caps

),

final as (

    select
        model_id,
        contact_id,
        fit_score,
        engagement_raw,
        decay_points,
        engagement_score,
        fit_cap_points,
        engagement_cap_points,
        {{ cap_abs('fit_score + engagement_score', 'total_cap_limit') }}
        - (fit_score + engagement_score) as total_cap_points,
        feedback_points,
        -- Feedback is added after every cap: sales overrides are never capped.
        {{ cap_abs('fit_score + engagement_score', 'total_cap_limit') }} + feedback_points
            as total_score,
        last_activity_at
    from total_cap

)

select * from final
