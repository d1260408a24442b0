-- `exclusion_order` keeps the file order: the first matching row gives the reason.
with

source as (

    -- rowid is the seed's file order (seeds are inserted row by row, in order).
    select
        *,
        {{ seed_file_order() }} as file_order
    from {{ ref('stage_exclusions') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('exclusion_id') }} as exclusion_id,
        cast(row_number() over (order by file_order) as bigint) as exclusion_order,
        {{ norm_text('property') }} as property_name,
        coalesce({{ norm_text('operator') }}, 'eq') as operator,
        {{ clean_text('value') }} as condition_value,
        lower({{ clean_text('value') }}) as condition_value_norm,
        {{ norm_list('value') }} as condition_values,
        {{ clean_text('reason') }} as reason
    from source

)

select * from final
