-- The funnel per model and dimension value: the model's stages in rank order, then opportunity
-- and won (deal outcomes) or converted (property outcomes); how many contacts reached each step,
-- the rates between steps and the median days from the previous step.
with

outcomes as (

    select * from {{ ref('outcomes') }}

),

models as (

    select * from {{ ref('int_models') }}

),

thresholds as (

    select * from {{ ref('stg_score_thresholds') }}

),

threshold_stages as (

    select * from {{ ref('int_threshold_stages') }}

),

history as (

    select * from {{ ref('score_history') }}

),

deals as (

    select * from {{ ref('stg_deals') }}

),

stage_ranks as (

    select
        model_id,
        base_stage as step,
        0 as stage_rank
    from models
    union
    select
        thresholds.model_id,
        thresholds.stage as step,
        min(thresholds.stage_rank) as stage_rank
    from thresholds
    inner join models on thresholds.model_id = models.model_id
    where thresholds.stage <> models.base_stage
    group by thresholds.model_id, thresholds.stage

),

stage_steps as (

    select
        model_id,
        step,
        stage_rank,
        row_number() over (partition by model_id order by stage_rank, step) as step_order
    from stage_ranks

),

outcome_steps as (

    select
        stage_counts.model_id,
        outcome_steps.step,
        cast(null as integer) as stage_rank,
        stage_counts.stage_steps + outcome_steps.offset_order as step_order
    from (
        select
            model_id,
            count(*) as stage_steps
        from stage_steps
        group by model_id
    ) as stage_counts
    inner join models on stage_counts.model_id = models.model_id
    inner join (
        values
        ('deal', 'opportunity', 1),
        ('deal', 'won', 2),
        ('property', 'converted', 1)
    ) as outcome_steps (outcome_source, step, offset_order)
        on outcome_steps.outcome_source
            = case when models.outcome_property is null then 'deal' else 'property' end

),

steps as (

    select * from stage_steps
    union all
    select * from outcome_steps

),

-- The highest stage rank each contact reached: in the history or as of this run.
reached_ranks as (

    select
        outcomes.model_id,
        outcomes.contact_id,
        greatest(
            coalesce(max(history.stage_rank), 0),
            coalesce(any_value(threshold_stages.threshold_rank), 0),
            coalesce(any_value(outcomes.stage_rank), 0)
        ) as reached_rank
    from outcomes
    left join history
        on outcomes.model_id = history.model_id and outcomes.contact_id = history.contact_id
    left join threshold_stages
        on
            outcomes.model_id = threshold_stages.model_id
            and outcomes.contact_id = threshold_stages.contact_id
    group by outcomes.model_id, outcomes.contact_id

),

first_deals as (

    select
        contact_id,
        min(created_at) as first_deal_at
    from deals
    where created_at <= {{ as_of() }}
    group by contact_id

),

furthest as (

    select
        outcomes.model_id,
        outcomes.contact_id,
        outcomes.segment,
        outcomes.original_source,
        -- Funnel counting: a contact that reached a step counts in every step before it.
        greatest(
            (
                select max(stage_steps.step_order) from stage_steps
                where stage_steps.model_id = outcomes.model_id
                    and stage_steps.stage_rank <= reached_ranks.reached_rank
            ),
            (
                select max(outcome_steps.step_order) from outcome_steps
                where
                    outcome_steps.model_id = outcomes.model_id
                    and (
                        (outcome_steps.step = 'opportunity' and first_deals.contact_id is not null)
                        or outcomes.is_converted
                    )
            ),
            0
        ) as furthest_order,
        first_deals.first_deal_at,
        coalesce(outcomes.deal_won_at, outcomes.deal_created_at) as won_at
    from outcomes
    inner join reached_ranks
        on outcomes.model_id = reached_ranks.model_id and outcomes.contact_id = reached_ranks.contact_id
    left join first_deals on outcomes.contact_id = first_deals.contact_id

),

-- When each contact first held each stage rank (from the history; unknown before it began).
stage_reached_at as (

    select
        stage_steps.model_id,
        history.contact_id,
        stage_steps.step_order,
        min(history.valid_from) as reached_at
    from stage_steps
    inner join history
        on stage_steps.model_id = history.model_id and history.stage_rank >= stage_steps.stage_rank
    group by stage_steps.model_id, history.contact_id, stage_steps.step_order

),

contact_steps as (

    select
        furthest.model_id,
        furthest.contact_id,
        furthest.segment,
        furthest.original_source,
        steps.step_order,
        case
            when steps.step = 'opportunity' then furthest.first_deal_at
            when steps.step = 'won' then furthest.won_at
            when steps.stage_rank is not null then stage_reached_at.reached_at
        end as reached_at
    from furthest
    inner join steps
        on furthest.model_id = steps.model_id and steps.step_order <= furthest.furthest_order
    left join stage_reached_at
        on
            furthest.model_id = stage_reached_at.model_id
            and furthest.contact_id = stage_reached_at.contact_id
            and steps.step_order = stage_reached_at.step_order

),

-- A contact's steps are consecutive from 1, so the previous row is the previous step.
with_previous as (

    select
        *,
        lag(reached_at) over (partition by model_id, contact_id order by step_order) as previous_reached_at
    from contact_steps

),

-- Each contact's steps once per dimension: every contact, its segment, its source.
by_dimension as (

    select
        with_previous.model_id,
        dimensions.dimension,
        case dimensions.dimension
            when 'all' then 'all'
            when 'segment' then coalesce(with_previous.segment, '(not set)')
            else coalesce(with_previous.original_source, '(not set)')
        end as dimension_value,
        with_previous.step_order,
        with_previous.reached_at,
        with_previous.previous_reached_at
    from with_previous
    cross join (values ('all'), ('segment'), ('source')) as dimensions (dimension)

),

counted as (

    select
        model_id,
        dimension,
        dimension_value,
        step_order,
        count(*) as contacts_reached,
        median(
            {{ age_days('reached_at', 'previous_reached_at') }}
        ) filter (where reached_at >= previous_reached_at) as median_days_from_previous
    from by_dimension
    group by model_id, dimension, dimension_value, step_order

),

-- Every step of every dimension value, reached or not: a funnel that stops early shows zeros.
grid as (

    select
        dimensions.model_id,
        dimensions.dimension,
        dimensions.dimension_value,
        steps.step_order,
        steps.step,
        steps.stage_rank
    from (
        select distinct
            model_id,
            dimension,
            dimension_value
        from by_dimension
    ) as dimensions
    inner join steps on dimensions.model_id = steps.model_id

),

filled as (

    select
        grid.*,
        coalesce(counted.contacts_reached, 0) as contacts_reached,
        counted.median_days_from_previous
    from grid
    left join counted
        on
            grid.model_id = counted.model_id
            and grid.dimension = counted.dimension
            and grid.dimension_value = counted.dimension_value
            and grid.step_order = counted.step_order

),

final as (

    select
        model_id,
        dimension,
        dimension_value,
        step_order,
        step,
        case when stage_rank is null then 'outcome' else 'stage' end as step_kind,
        contacts_reached,
        contacts_reached / nullif(lag(contacts_reached) over funnel, 0) as rate_from_previous,
        contacts_reached / nullif(first_value(contacts_reached) over funnel, 0) as rate_from_first,
        cast(median_days_from_previous as double) as median_days_from_previous,
        {{ as_of() }} as as_of
    from filled
    window funnel as (partition by model_id, dimension, dimension_value order by step_order)

)

select * from final
