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
        {{ clean_number('min_count') }} as min_bound,
        {{ clean_number('max_count') }} as max_bound,
        coalesce(
            {{ norm_text(optional_seed_column(ref('rule_conditions'), 'aggregate')) }}, 'count'
        ) as aggregate,
        {{ clean_number(optional_seed_column(ref('rule_conditions'), 'baseline_days')) }}
            as baseline_days,
        {{ clean_number(optional_seed_column(ref('rule_conditions'), 'change_percent')) }}
            as change_percent
    from source

),

final as (

    select
        rule_id || '#' || row_number() over (
            partition by rule_id
            order by
                subject, field, operator, condition_value, window_days, min_bound, max_bound,
                aggregate, baseline_days, change_percent
        ) as condition_id,
        rule_id,
        subject,
        field,
        operator,
        condition_value,
        lower(condition_value) as condition_value_norm,
        {{ norm_list('condition_value') }} as condition_values,
        window_days,
        aggregate,
        -- Counts bound a count; a sum's bounds are amounts (min_count/max_count cells alike).
        -- `max_count = 0` says "did not happen": the lower bound then defaults to 0.
        case
            when aggregate = 'count'
                then cast(coalesce(min_bound, case when max_bound = 0 then 0 else 1 end) as bigint)
        end as min_count,
        case when aggregate = 'count' then cast(max_bound as bigint) end as max_count,
        case when aggregate = 'sum' then min_bound end as min_sum,
        case when aggregate = 'sum' then max_bound end as max_sum,
        baseline_days,
        change_percent
    from renamed

)

select * from final
