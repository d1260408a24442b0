with

source as (

    select * from {{ ref('crm_field_map') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('target') }} as crm_target,
        {{ norm_text('score_column') }} as score_column,
        {{ clean_text('crm_field') }} as crm_field
    from source

)

select * from final
