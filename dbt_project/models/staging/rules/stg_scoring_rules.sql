with

source as (

    select * from {{ ref('scoring_rules') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ norm_text('rule_id') }} as rule_id,
        {{ norm_text('score_group') }} as score_group,
        {{ clean_text('description') }} as description,
        coalesce({{ clean_number('points') }}, 0) as points,
        coalesce({{ norm_text('points_mode') }}, 'once') as points_mode,
        {{ clean_number('max_points') }} as max_points,
        {{ is_enabled('enabled') }} as is_enabled,
        -- A contact matching the rule plays this buying-group role in its account (blank: none).
        {{ norm_text(optional_seed_column(ref('scoring_rules'), 'buying_role')) }} as buying_role
    from source

)

select * from final
