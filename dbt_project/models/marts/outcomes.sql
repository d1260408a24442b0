-- Per model and contact with a known outcome: converted or not, and the score to judge it by.
-- A converted contact is judged by its score just before its won deal was created when the
-- history reaches back that far (leakage-safe); otherwise, like every contact not converted, by
-- its score as of this run.
with

outcomes as (

    select * from {{ ref('int_contact_outcomes') }}

),

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

totals as (

    select * from {{ ref('int_contact_totals') }}

),

bands as (

    select * from {{ ref('int_contact_bands') }}

),

final_stages as (

    select * from {{ ref('int_contact_stages') }}

),

threshold_stages as (

    select * from {{ ref('int_threshold_stages') }}

),

history as (

    select * from {{ ref('score_history') }}

),

models as (

    select * from {{ ref('int_models') }}

),

properties as (

    select * from {{ ref('stg_contact_properties') }}

),

before_deal as (

    select
        outcomes.model_id,
        outcomes.contact_id,
        history.valid_from,
        history.fit_score,
        history.engagement_score,
        history.total_score,
        history.fit_band,
        history.engagement_band,
        history.total_band,
        history.matrix_label,
        history.stage,
        history.stage_rank,
        history.is_excluded
    from outcomes
    inner join history
        on
            outcomes.model_id = history.model_id
            and outcomes.contact_id = history.contact_id
            and history.valid_from < outcomes.deal_created_at
            and (history.valid_to is null or history.valid_to >= outcomes.deal_created_at)
    where outcomes.is_converted

),

as_of_scores as (

    select
        totals.model_id,
        totals.contact_id,
        totals.fit_score,
        totals.engagement_score,
        totals.total_score,
        bands.fit_band,
        bands.engagement_band,
        bands.total_band,
        bands.matrix_label,
        -- Outside the population there is no final stage: the one its score reaches.
        coalesce(final_stages.stage, threshold_stages.threshold_stage) as stage,
        coalesce(final_stages.stage_rank, threshold_stages.threshold_rank) as stage_rank,
        coalesce(final_stages.is_excluded, false) as is_excluded
    from totals
    left join bands
        on totals.model_id = bands.model_id and totals.contact_id = bands.contact_id
    left join final_stages
        on totals.model_id = final_stages.model_id and totals.contact_id = final_stages.contact_id
    left join threshold_stages
        on
            totals.model_id = threshold_stages.model_id
            and totals.contact_id = threshold_stages.contact_id

),

segments as (

    select
        models.model_id,
        properties.contact_id,
        properties.property_value as segment
    from models
    inner join properties on models.segment_property = properties.property_name

),

sources as (

    select
        contact_id,
        property_value as original_source
    from properties
    where property_name = 'original_source'

),

final as (

    select
        outcomes.model_id,
        outcomes.contact_id,
        outcomes.is_converted,
        case when outcomes.is_converted then 'converted' else 'not_converted' end as outcome,
        outcomes.outcome_source,
        outcomes.outcome_evidence,
        outcomes.deal_created_at,
        outcomes.deal_won_at,
        cast(outcomes.won_amount as double) as won_amount,
        scored.in_population,
        case when before_deal.contact_id is null then 'as_of' else 'history' end as reference_source,
        coalesce(before_deal.valid_from, {{ as_of() }}) as reference_at,
        cast(coalesce(before_deal.fit_score, as_of_scores.fit_score) as {{ points_type() }}) as fit_score,
        cast(coalesce(before_deal.engagement_score, as_of_scores.engagement_score) as {{ points_type() }})
            as engagement_score,
        cast(coalesce(before_deal.total_score, as_of_scores.total_score) as {{ points_type() }})
            as total_score,
        case when before_deal.contact_id is null then as_of_scores.fit_band else before_deal.fit_band end
            as fit_band,
        case
            when before_deal.contact_id is null then as_of_scores.engagement_band
            else before_deal.engagement_band
        end as engagement_band,
        case when before_deal.contact_id is null then as_of_scores.total_band else before_deal.total_band end
            as total_band,
        case
            when before_deal.contact_id is null then as_of_scores.matrix_label
            else before_deal.matrix_label
        end as matrix_label,
        coalesce(before_deal.stage, as_of_scores.stage) as stage,
        cast(coalesce(before_deal.stage_rank, as_of_scores.stage_rank) as integer) as stage_rank,
        coalesce(before_deal.is_excluded, as_of_scores.is_excluded) as is_excluded,
        segments.segment,
        sources.original_source,
        {{ as_of() }} as as_of
    from outcomes
    inner join scored
        on outcomes.model_id = scored.model_id and outcomes.contact_id = scored.contact_id
    inner join as_of_scores
        on outcomes.model_id = as_of_scores.model_id and outcomes.contact_id = as_of_scores.contact_id
    left join before_deal
        on outcomes.model_id = before_deal.model_id and outcomes.contact_id = before_deal.contact_id
    left join segments
        on outcomes.model_id = segments.model_id and outcomes.contact_id = segments.contact_id
    left join sources on outcomes.contact_id = sources.contact_id

)

select * from final
