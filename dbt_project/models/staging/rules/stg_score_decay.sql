with

source as (

    select * from {{ ref('score_decay') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('decay_id') }} as decay_id,
        {{ norm_text('kind') }} as decay_kind,
        {{ norm_text('activity_type') }} as activity_type,
        {{ clean_number('days') }} as days,
        {{ clean_number('points') }} as points,
        {{ clean_number('percent') }} as percent,
        {{ clean_text('description') }} as description
    from source

)

select * from final
