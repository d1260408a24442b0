-- Property values a date operator tests that are not dates: such a condition does not hold for
-- the contact (it is still scored), and ops.quarantine says why, with the contact's file and row.
with

date_conditions as (

    select distinct field as property_name
    from {{ ref('int_conditions') }}
    where
        subject = 'property'
        and operator in (
            {%- for operator in var('date_operators') %}
                '{{ operator }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

properties as (

    select
        contact_id,
        property_name,
        property_value
    from {{ ref('stg_contact_properties') }}

),

contacts as (

    select
        contact_id,
        source_file,
        source_row_number
    from {{ ref('stg_contacts') }}

),

final as (

    select
        properties.contact_id,
        properties.property_name,
        properties.property_value,
        contacts.source_file,
        contacts.source_row_number
    from properties
    inner join date_conditions on properties.property_name = date_conditions.property_name
    inner join contacts on properties.contact_id = contacts.contact_id
    where {{ parse_timestamp('properties.property_value') }} is null

)

select * from final
