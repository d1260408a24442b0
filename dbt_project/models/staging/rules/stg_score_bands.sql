with

source as (

    select * from {{ ref('score_bands') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        coalesce({{ norm_text('score') }}, 'total') as score_column,
        {{ clean_text('band') }} as band,
        {{ clean_number('min_score') }} as min_score,
        {{ clean_number('max_score') }} as max_score
    from source

)

select * from final
