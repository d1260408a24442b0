-- Per activity condition and contact with at least one matching activity inside the window:
-- the count, the newest one, and the sum of each occurrence's decay multiplier.
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
        activities.age_days
    from activities
    inner join keys
        on
            activities.activity_type = keys.activity_type
            and activities.target is not distinct from keys.target
    inner join conditions on keys.condition_id = conditions.condition_id
    where conditions.window_days is null or activities.age_days < conditions.window_days

),

weighted as (

    select
        matched.condition_id,
        matched.contact_id,
        matched.activity_type,
        matched.occurred_at,
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
        count(*) as activity_count,
        max(occurred_at) as last_activity_at,
        -- Ties at the newest instant pick the same type every run (deterministic marts).
        arg_max(activity_type, { 'at': occurred_at, 'type': activity_type }) as last_activity_type,
        sum(decay_weight) as decay_weight_sum
    from weighted
    group by condition_id, contact_id

)

select * from final
