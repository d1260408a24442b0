{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ empty_unless_landing_unchanged(this, 'contacts') }}",
    )
}}
-- Materialised, not a view: every condition, segment and exclusion reads it. Rebuilt whole, and
-- only when a contact file was loaded or replaced since the last build (else it is kept).
-- Every property of a contact's winning record, by normalised name, as text and as a number.
with

contacts as (

    select
        contact_id,
        source_file,
        source_row_number
    from {{ ref('stg_contacts') }}

),

source as (

    select * from {{ source('raw', 'contact_properties') }}

),

renamed as (

    select
        contacts.contact_id,
        {{ norm_text('source.property_header') }} as property_name,
        {{ clean_text('source.property_value') }} as property_value
    from source
    inner join contacts
        on
            source._file_path = contacts.source_file
            and source._row_number = contacts.source_row_number

),

final as (

    -- Two headers that normalise to one name (e.g. `Email` and `email `): the first value wins.
    select
        contact_id,
        property_name,
        min(property_value) as property_value,
        lower(min(property_value)) as property_value_norm,
        try_cast(min(property_value) as double) as property_number,
        '{{ landing_files_version('contacts') }}' as landing_version
    from renamed
    where property_value is not null
    group by contact_id, property_name

)

select * from final
{% if landing_unchanged(this, 'contacts') %} where false {% endif %}
