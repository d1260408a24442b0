with

source as (

    select * from {{ ref('score_thresholds') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        coalesce({{ norm_text('segment') }}, '*') as segment,
        {{ norm_text('stage') }} as stage,
        cast({{ clean_number('stage_rank') }} as integer) as stage_rank,
        coalesce({{ norm_text('score') }}, 'total') as score_column,
        {{ clean_number('min_score') }} as min_score,
        {{ norm_text('required_rule_id') }} as required_rule_id
    from source

)

select * from final
