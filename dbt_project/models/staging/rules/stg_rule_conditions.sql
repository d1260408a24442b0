-- One row per rule condition; `condition_id` numbers the conditions of a rule stably.
with

source as (

    select * from {{ ref('rule_conditions') }}

),

renamed as (

    select
        {{ norm_text('rule_id') }} as rule_id,
        {{ norm_text('subject') }} as subject,
        {{ norm_text('field') }} as field,
        coalesce({{ norm_text('operator') }}, 'any') as operator,
        {{ clean_text('value') }} as condition_value,
        {{ clean_number('window_days') }} as window_days,
        cast({{ clean_number('min_count') }} as bigint) as min_count,
        cast({{ clean_number('max_count') }} as bigint) as max_count
    from source

),

final as (

    select
        rule_id || '#' || row_number() over (
            partition by rule_id
            order by subject, field, operator, condition_value, window_days, min_count, max_count
        ) as condition_id,
        rule_id,
        subject,
        field,
        operator,
        condition_value,
        lower(condition_value) as condition_value_norm,
        {{ norm_list('condition_value') }} as condition_values,
        window_days,
        -- `max_count = 0` says "did not happen": the lower bound then defaults to 0.
        coalesce(min_count, case when max_count = 0 then 0 else 1 end) as min_count,
        max_count
    from renamed

)

select * from final
