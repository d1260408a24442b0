-- Every rejected landing row: by the loader (unreadable, missing or unparseable values) or at
-- scoring time (unknown contact, dated after as-of); and every contact property a date
-- condition tests that is not a date (the contact is kept, the condition does not hold).
with

landing as (

    select
        entity,
        file_path,
        row_number,
        reason,
        raw_row
    from {{ source('ops', 'landing_quarantine') }}

),

scoring as (

    select
        'activities' as entity,
        rejected.source_file as file_path,
        rejected.source_row_number as row_number,
        rejected.reason,
        {{ json_object([
            ['activity_id', 'rejected.activity_id'],
            ['contact_id', 'rejected.contact_id'],
            ['activity_type', 'rejected.activity_type'],
            ['occurred_at', 'rejected.occurred_at'],
            ['target', 'rejected.target'],
            ['value', 'rejected.value'],
        ]) }} as raw_row
    from {{ ref('int_activities_rejected') }} as rejected

),

unreadable_dates as (

    select
        'contacts' as entity,
        source_file as file_path,
        source_row_number as row_number,
        'property ' || property_name || ' is not a date: ' || property_value
        || ' (write 2026-11-01 or an ISO 8601 timestamp; its date conditions do not hold,'
        || ' the contact is scored)' as reason,
        {{ json_object([
            ['contact_id', 'contact_id'],
            ['property', 'property_name'],
            ['value', 'property_value'],
        ]) }} as raw_row
    from {{ ref('int_unreadable_dates') }}

),

final as (

    select * from landing
    union all
    select * from scoring
    union all
    select * from unreadable_dates

)

select * from final
