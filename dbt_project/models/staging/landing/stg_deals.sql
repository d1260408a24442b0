with

source as (

    select * from {{ source('raw', 'deals') }}

),

final as (

    select distinct
        {{ clean_text('deal_id') }} as deal_id,
        {{ clean_text('contact_id') }} as contact_id,
        created_at,
        status,
        closed_at,
        amount,
        {{ clean_text('product_line') }} as product_line
    from source

)

select * from final
