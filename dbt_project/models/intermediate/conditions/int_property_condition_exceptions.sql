-- Contacts whose property value flips a property condition's default outcome. Each condition is
-- tested once per distinct (property, value), then equi-joined back to the contacts holding it.
with

conditions as (

    select * from {{ ref('int_conditions') }}
    where subject = 'property'

),

properties as (

    select * from {{ ref('stg_contact_properties') }}

),

distinct_values as (

    select distinct
        property_name,
        property_value
    from properties
    where property_name in (select conditions.field from conditions)

),

flipping_values as (

    select
        conditions.condition_id,
        distinct_values.property_name,
        distinct_values.property_value
    from conditions
    inner join distinct_values on conditions.field = distinct_values.property_name
    where
        {{ operator_holds(
            'conditions.operator', 'conditions.condition_value', 'conditions.condition_value_norm',
            'conditions.condition_values', 'distinct_values.property_value'
        ) }} <> conditions.default_outcome

),

final as (

    select
        flipping_values.condition_id,
        properties.contact_id,
        properties.property_value
    from flipping_values
    inner join properties
        on
            flipping_values.property_name = properties.property_name
            and flipping_values.property_value = properties.property_value

)

select * from final
