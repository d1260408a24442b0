with

source as (

    select * from {{ ref('feedback_rules') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('feedback') }} as feedback,
        coalesce({{ clean_number('points') }}, 0) as points,
        {{ norm_text('max_stage') }} as max_stage,
        {{ norm_text('stage_override') }} as stage_override
    from source

)

select * from final
