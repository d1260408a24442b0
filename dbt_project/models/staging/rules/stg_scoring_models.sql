with

source as (

    select * from {{ ref('scoring_models') }}

),

final as (

    select
        {{ norm_text('model_id') }} as model_id,
        {{ clean_text('name') }} as model_name,
        {{ clean_text('description') }} as description,
        coalesce({{ norm_text('base_stage') }}, 'lead') as base_stage,
        coalesce({{ norm_text('stage_policy') }}, 'follow_score') as stage_policy,
        {{ norm_text('segment_property') }} as segment_property,
        {{ norm_text('population_property') }} as population_property,
        {{ norm_text('population_operator') }} as population_operator,
        {{ clean_text('population_value') }} as population_value,
        {{ clean_number('fit_cap') }} as fit_cap,
        {{ clean_number('engagement_cap') }} as engagement_cap,
        {{ clean_number('total_cap') }} as total_cap,
        {{ is_enabled('enabled') }} as is_enabled,
        -- Older files lack the outcome columns (contract §8): blank = a won deal converts.
        {{ norm_text(optional_seed_column(ref('scoring_models'), 'outcome_property')) }}
            as outcome_property,
        {{ clean_text(optional_seed_column(ref('scoring_models'), 'outcome_value')) }}
            as outcome_value,
        -- Account scores (contract §8): the property naming a contact's account, and how its
        -- contacts' scores roll up (blank = max).
        {{ norm_text(optional_seed_column(ref('scoring_models'), 'account_property')) }}
            as account_property,
        coalesce(
            {{ norm_text(optional_seed_column(ref('scoring_models'), 'account_rollup')) }}, 'max'
        ) as account_rollup
    from source

)

select * from final
