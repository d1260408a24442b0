-- Inactivity and unopened-email penalties per scored contact (engagement group).
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

contacts as (

    select
        contact_id,
        created_at
    from {{ ref('stg_contacts') }}

),

decay as (

    select decay.*
    from {{ ref('stg_score_decay') }} as decay
    inner join {{ ref('int_models') }} as models on decay.model_id = models.model_id

),

activities as (

    select * from {{ ref('int_activities') }}

),

inactivity_rules as (

    select * from decay
    where decay_kind = 'inactivity'

),

last_by_type as (

    select
        contact_id,
        activity_type,
        max(occurred_at) as last_activity_at
    from activities
    group by contact_id, activity_type

),

inactivity_reference as (

    -- The newest activity of the rule's type (or any type), else the contact's created_at.
    select
        scored.model_id,
        scored.contact_id,
        inactivity_rules.decay_id,
        inactivity_rules.description,
        inactivity_rules.days,
        inactivity_rules.points,
        max(last_by_type.last_activity_at) as last_activity_at,
        coalesce(max(last_by_type.last_activity_at), any_value(contacts.created_at))
            as reference_at
    from scored
    inner join inactivity_rules on scored.model_id = inactivity_rules.model_id
    inner join contacts on scored.contact_id = contacts.contact_id
    left join last_by_type
        on
            scored.contact_id = last_by_type.contact_id
            and (
                inactivity_rules.activity_type is null
                or inactivity_rules.activity_type = last_by_type.activity_type
            )
    group by all

),

inactivity as (

    select
        model_id,
        contact_id,
        decay_id,
        'inactivity' as decay_kind,
        description,
        {{ round_points('points') }} as points,
        {{ round_points('points') }} as raw_points,
        cast(0 as bigint) as activity_count,
        last_activity_at
    from inactivity_reference
    where
        reference_at is not null
        and {{ age_days(as_of(), 'reference_at') }} > days

),

unopened_rules as (

    select * from decay
    where decay_kind = 'unopened_email'

),

sends as (

    select * from activities
    where activity_type = 'email_sent'

),

responses as (

    select distinct
        contact_id,
        target
    from activities
    where activity_type in ('email_open', 'email_click')

),

unopened_sends as (

    select
        sends.contact_id,
        sends.occurred_at,
        sends.age_days
    from sends
    left join responses
        on
            sends.contact_id = responses.contact_id
            and sends.target is not distinct from responses.target
    where responses.contact_id is null

),

unopened as (

    select
        scored.model_id,
        scored.contact_id,
        unopened_rules.decay_id,
        'unopened_email' as decay_kind,
        any_value(unopened_rules.description) as description,
        {{ round_points('any_value(unopened_rules.points) * count(*)') }} as points,
        {{ round_points('any_value(unopened_rules.points) * count(*)') }} as raw_points,
        count(*) as activity_count,
        max(unopened_sends.occurred_at) as last_activity_at
    from scored
    inner join unopened_rules on scored.model_id = unopened_rules.model_id
    inner join unopened_sends
        on
            scored.contact_id = unopened_sends.contact_id
            and unopened_sends.age_days > unopened_rules.days
    group by scored.model_id, scored.contact_id, unopened_rules.decay_id

),

final as (

    select * from inactivity
    union all
    select * from unopened

)

select * from final
