-- Activities quarantined at scoring time: unknown contact, or dated after the as-of instant.
-- A run's as-of is never earlier than a published one, so a future-dated row is later than any
-- instant ever scored; a backfill (a past instant) just leaves later activities uncounted.
with

activities as (

    select * from {{ ref('stg_activities') }}

),

contacts as (

    select contact_id from {{ ref('stg_contacts') }}

),

final as (

    select
        activities.activity_id,
        activities.contact_id,
        activities.activity_type,
        activities.occurred_at,
        activities.target,
        activities.value,
        activities.source_file,
        activities.source_row_number,
        case
            when contacts.contact_id is null then 'unknown contact: ' || activities.contact_id
            else 'future-dated: occurred_at ' || cast(activities.occurred_at as string)
                || ' is after as_of ' || cast({{ as_of() }} as string)
        end as reason
    from activities
    left join contacts on activities.contact_id = contacts.contact_id
    where
        contacts.contact_id is null
        {% if not is_backfill() %}or activities.occurred_at > {{ as_of() }}{% endif %}

)

select * from final
