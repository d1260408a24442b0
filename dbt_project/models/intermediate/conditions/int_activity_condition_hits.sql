-- Per activity condition and contact with a matching activity inside the window (or, for a
-- trend, inside its baseline): the count and the sum of `value` in each, the newest one in the
-- window, and the sum of each occurrence's decay multiplier.
with

conditions as (

    select * from {{ ref('int_conditions') }}
    where subject = 'activity'

),

keys as (

    select * from {{ ref('int_activity_condition_keys') }}

),

activities as (

    select * from {{ ref('int_activities') }}

),

profiles as (

    select * from {{ ref('int_decay_profiles') }}

),

matched as (

    select
        keys.condition_id,
        conditions.model_id,
        activities.contact_id,
        activities.activity_type,
        activities.occurred_at,
        activities.age_days,
        activities.value,
        conditions.window_days is null or activities.age_days < conditions.window_days
            as in_window
    from activities
    inner join keys
        on
            activities.activity_type = keys.activity_type
            and activities.target is not distinct from keys.target
    inner join conditions on keys.condition_id = conditions.condition_id
    where
        conditions.window_days is null
        -- A trend's baseline is the baseline_days just before its window.
        or activities.age_days < conditions.window_days + coalesce(conditions.baseline_days, 0)

),

weighted as (

    select
        matched.condition_id,
        matched.contact_id,
        matched.activity_type,
        matched.occurred_at,
        matched.value,
        matched.in_window,
        {{ decay_factor('matched.age_days', 'profiles.half_life_rate', 'profiles.steps') }}
            as decay_weight
    from matched
    left join profiles
        on
            matched.model_id = profiles.model_id
            and matched.activity_type = profiles.activity_type

),

final as (

    select
        condition_id,
        contact_id,
        count(*) filter (where in_window) as activity_count,
        max(occurred_at) filter (where in_window) as last_activity_at,
        -- Ties at the newest instant pick the same type every run (deterministic marts).
        max_by(
            activity_type, {{ sort_key(['occurred_at', 'activity_type']) }}
        ) filter (where in_window) as last_activity_type,
        sum(decay_weight) filter (where in_window) as decay_weight_sum,
        coalesce(sum(cast(value as {{ value_sum_type() }})) filter (where in_window), 0) as value_sum,
        count(*) filter (where not in_window) as baseline_count,
        coalesce(sum(cast(value as {{ value_sum_type() }})) filter (where not in_window), 0)
            as baseline_value_sum
    from weighted
    group by condition_id, contact_id

)

select * from final
