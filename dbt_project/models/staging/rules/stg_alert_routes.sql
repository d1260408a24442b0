-- `direction` is optional (contract §8): files without the column keep working, every route
-- then alerting rises only. A blank direction is the first of the var `alert_directions` (up).
with

source as (

    select * from {{ ref('alert_routes') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('to_stage') }} as to_stage,
        coalesce({{ norm_text('channel') }}, 'log') as channel,
        {{ clean_text('destination') }} as destination,
        coalesce(
            {{ norm_text(optional_seed_column(ref('alert_routes'), 'direction')) }},
            '{{ var("alert_directions")[0] }}'
        ) as direction
    from source

)

select * from final
