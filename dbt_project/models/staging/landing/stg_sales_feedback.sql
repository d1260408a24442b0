with

source as (

    select * from {{ source('raw', 'sales_feedback') }}

),

final as (

    select distinct
        {{ clean_text('contact_id') }} as contact_id,
        feedback,
        given_at,
        {{ norm_text('model_id') }} as model_id,
        {{ clean_text('given_by') }} as given_by,
        {{ clean_text('note') }} as note
    from source

)

select * from final
