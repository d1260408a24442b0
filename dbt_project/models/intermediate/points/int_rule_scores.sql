-- One row per matched rule and contact: raw points, decayed points and the rule's cap.
-- Order: raw points -> decay -> max_points cap; each contribution rounded to 2 decimals.
with

matches as (

    select * from {{ ref('int_rule_matches') }}

),

rules as (

    select * from {{ ref('stg_scoring_rules') }}

),

conditions as (

    select * from {{ ref('int_conditions') }}
    where owner_kind = 'rule' and subject = 'activity'

),

hits as (

    select * from {{ ref('int_activity_condition_hits') }}

),

profiles as (

    select * from {{ ref('int_decay_profiles') }}

),

-- Evidence of a matched rule from its activity conditions (all within their windows).
rule_activity as (

    select
        matches.model_id,
        matches.rule_id,
        matches.contact_id,
        count(conditions.condition_id) as activity_condition_count,
        cast(sum(hits.activity_count) as bigint) as activity_count,
        max(hits.last_activity_at) as last_activity_at,
        max_by(
            hits.last_activity_type,
            {{ sort_key(['hits.last_activity_at', 'hits.last_activity_type']) }}
        ) as last_activity_type,
        sum(hits.decay_weight_sum) as decay_weight_sum
    from matches
    inner join conditions on matches.rule_id = conditions.owner_id
    left join hits
        on
            conditions.condition_id = hits.condition_id
            and matches.contact_id = hits.contact_id
            -- A trend's baseline-only row is no evidence in the window.
            and hits.activity_count > 0
    group by matches.model_id, matches.rule_id, matches.contact_id

),

computed as (

    select
        matches.model_id,
        matches.contact_id,
        matches.rule_id,
        rules.score_group,
        rules.description,
        rules.points_mode,
        rules.max_points,
        coalesce(rule_activity.activity_count, 0) as activity_count,
        rule_activity.last_activity_at,
        case
            when rules.points_mode = 'per_occurrence'
                then rules.points * coalesce(rule_activity.activity_count, 0)
            else rules.points
        end as raw_points,
        case
            when rules.score_group <> 'engagement' then null
            when rules.points_mode = 'per_occurrence'
                then rules.points * coalesce(rule_activity.decay_weight_sum, 0)
            when rule_activity.last_activity_at is null then rules.points
            else rules.points * {{ decay_factor(
                age_days(as_of(), 'rule_activity.last_activity_at'),
                'profiles.half_life_rate', 'profiles.steps'
            ) }}
        end as decayed_points
    from matches
    inner join rules on matches.rule_id = rules.rule_id
    left join rule_activity
        on
            matches.rule_id = rule_activity.rule_id
            and matches.contact_id = rule_activity.contact_id
    left join profiles
        on
            matches.model_id = profiles.model_id
            and rule_activity.last_activity_type = profiles.activity_type

),

final as (

    select
        model_id,
        contact_id,
        rule_id,
        score_group,
        description,
        points_mode,
        activity_count,
        last_activity_at,
        {{ round_points(cap_abs('raw_points', 'max_points')) }} as raw_points,
        {{ round_points(cap_abs('coalesce(decayed_points, raw_points)', 'max_points')) }} as points
    from computed

)

select * from final
