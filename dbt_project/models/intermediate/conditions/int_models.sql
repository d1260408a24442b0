-- Enabled scoring models.
with

models as (

    select * from {{ ref('stg_scoring_models') }}

),

final as (

    select * from models
    where is_enabled

)

select * from final
