-- Activity conditions matched once against the distinct (activity type, target) pairs.
with

conditions as (

    select * from {{ ref('int_conditions') }}
    where subject = 'activity'

),

activity_keys as (

    select distinct
        activity_type,
        target
    from {{ ref('int_activities') }}

),

final as (

    select
        conditions.condition_id,
        activity_keys.activity_type,
        activity_keys.target
    from conditions
    inner join activity_keys
        on conditions.field = '*' or conditions.field = activity_keys.activity_type
    where
        {{ operator_holds(
            'conditions.operator', 'conditions.condition_value', 'conditions.condition_value_norm',
            'conditions.condition_values', 'activity_keys.target'
        ) }}

)

select * from final
