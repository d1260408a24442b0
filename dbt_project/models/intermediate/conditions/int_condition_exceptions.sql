-- Every (condition, contact) whose outcome differs from the condition's default outcome.
with

conditions as (

    select * from {{ ref('int_conditions') }}

),

property_exceptions as (

    select
        condition_id,
        contact_id
    from {{ ref('int_property_condition_exceptions') }}

),

hits as (

    select * from {{ ref('int_activity_condition_hits') }}

),

activity_exceptions as (

    select
        hits.condition_id,
        hits.contact_id
    from hits
    inner join conditions on hits.condition_id = conditions.condition_id
    where {{ activity_condition_holds('conditions', 'hits') }} <> conditions.default_outcome

),

final as (

    select * from property_exceptions
    union all
    select * from activity_exceptions

)

select * from final
