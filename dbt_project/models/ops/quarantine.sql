-- Every rejected landing row: by the loader (unreadable, missing or unparseable values) or at
-- scoring time (unknown contact, dated after as-of).
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
        cast(to_json({
            'activity_id': rejected.activity_id,
            'contact_id': rejected.contact_id,
            'activity_type': rejected.activity_type,
            'occurred_at': rejected.occurred_at,
            'target': rejected.target,
            'value': rejected.value
        }) as varchar) as raw_row
    from {{ ref('int_activities_rejected') }} as rejected

),

final as (

    select * from landing
    union all
    select * from scoring

)

select * from final
