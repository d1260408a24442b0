{{ config(materialized='table') }}
-- A table, not a view: the de-duplication is the heaviest step and several models read it.
-- Activities typed and de-duplicated: rows identical in every column are one activity
-- (the first file and row that carried it are kept for quarantine and explain).
with

source as (

    select * from {{ source('raw', 'activities') }}

),

renamed as (

    select
        {{ clean_text('contact_id') }} as contact_id,
        {{ norm_text('activity_type') }} as activity_type,
        occurred_at,
        {{ clean_text('activity_id') }} as source_activity_id,
        {{ clean_text('target') }} as target,
        value,
        _file_path,
        _row_number,
        _load_seq
    from source

),

deduplicated as (

    select
        contact_id,
        activity_type,
        occurred_at,
        source_activity_id,
        target,
        value,
        min({ 'load_seq': _load_seq, 'file': _file_path, 'row': _row_number }) as first_seen
    from renamed
    group by all

),

final as (

    select
        coalesce(
            source_activity_id,
            'derived:' || md5(concat_ws(
                chr(31), contact_id, activity_type, cast(occurred_at as varchar),
                coalesce(target, chr(0)), coalesce(cast(value as varchar), chr(0))
            ))
        ) as activity_id,
        contact_id,
        activity_type,
        occurred_at,
        target,
        lower(target) as target_norm,
        value,
        first_seen.file as source_file,
        first_seen.row as source_row_number
    from deduplicated

)

select * from final
