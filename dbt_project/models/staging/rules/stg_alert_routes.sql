with

source as (

    select * from {{ ref('alert_routes') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('to_stage') }} as to_stage,
        coalesce({{ norm_text('channel') }}, 'log') as channel,
        {{ clean_text('destination') }} as destination
    from source

)

select * from final
