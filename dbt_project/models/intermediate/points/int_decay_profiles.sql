-- Per model and activity type: the summed half-life rate and the step reductions that apply.
with

decay as (

    select decay.*
    from {{ ref('stg_score_decay') }} as decay
    inner join {{ ref('int_models') }} as models on decay.model_id = models.model_id
    where decay.decay_kind in ('half_life', 'step') and decay.days > 0

),

activity_types as (

    select distinct activity_type from {{ ref('int_activities') }}

),

applicable as (

    select
        decay.model_id,
        activity_types.activity_type,
        decay.decay_kind,
        decay.days,
        decay.percent
    from decay
    inner join activity_types
        on decay.activity_type is null or decay.activity_type = activity_types.activity_type

),

final as (

    select
        model_id,
        activity_type,
        sum(1.0 / days) filter (where decay_kind = 'half_life') as half_life_rate,
        {{ decay_steps_list('days', 'percent', "decay_kind = 'step'") }} as steps
    from applicable
    group by model_id, activity_type

)

select * from final
