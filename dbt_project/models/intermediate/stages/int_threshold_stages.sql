-- The highest-ranked stage whose threshold holds, per scored contact (base stage = rank 0).
-- Segment fallback is per stage: a segment row replaces the `*` row of the same stage only.
with

totals as (

    select * from {{ ref('int_contact_totals') }}

),

models as (

    select * from {{ ref('int_models') }}

),

thresholds as (

    select * from {{ ref('stg_score_thresholds') }}

),

properties as (

    select * from {{ ref('stg_contact_properties') }}

),

segmented as (

    select
        totals.*,
        models.base_stage,
        coalesce(properties.property_value_norm, '*') as segment
    from totals
    inner join models on totals.model_id = models.model_id
    left join properties
        on
            totals.contact_id = properties.contact_id
            and models.segment_property = properties.property_name

),

stage_rows as (

    select
        segmented.model_id,
        segmented.contact_id,
        thresholds.stage,
        thresholds.stage_rank,
        thresholds.segment,
        thresholds.score_column,
        thresholds.min_score,
        thresholds.required_rule_id,
        case thresholds.score_column
            when 'fit' then segmented.fit_score
            when 'engagement' then segmented.engagement_score
            else segmented.total_score
        end as score
    from segmented
    inner join thresholds
        on
            segmented.model_id = thresholds.model_id
            and (thresholds.segment = '*' or thresholds.segment = segmented.segment)
    qualify row_number() over (
            partition by segmented.model_id, segmented.contact_id, thresholds.stage
            order by thresholds.segment = '*'
        ) = 1

),

holding as (

    select
        stage_rows.*,
        'score ' || stage_rows.score_column || ' ' || cast(stage_rows.score as varchar)
        || coalesce(' >= ' || cast(stage_rows.min_score as varchar), '')
        || coalesce(', rule ' || stage_rows.required_rule_id || ' matched', '')
        || ' (segment ' || stage_rows.segment || ')' as reason
    from stage_rows
    left join {{ ref('int_rule_matches') }} as required
        on
            stage_rows.model_id = required.model_id
            and stage_rows.contact_id = required.contact_id
            and stage_rows.required_rule_id = required.rule_id
    where
        (stage_rows.min_score is null or stage_rows.score >= stage_rows.min_score)
        and (stage_rows.required_rule_id is null or required.rule_id is not null)

),

best as (

    select
        model_id,
        contact_id,
        -- Stage and reason come from the same row, also when two stages share a rank.
        arg_max(stage, { 'rank': stage_rank, 'stage': stage }) as stage,
        max(stage_rank) as stage_rank,
        arg_max(reason, { 'rank': stage_rank, 'stage': stage }) as reason
    from holding
    group by model_id, contact_id

),

final as (

    select
        segmented.model_id,
        segmented.contact_id,
        segmented.segment,
        case when best.stage_rank > 0 then best.stage else segmented.base_stage end
            as threshold_stage,
        greatest(coalesce(best.stage_rank, 0), 0) as threshold_rank,
        case
            when best.stage_rank > 0 then best.stage || ': ' || best.reason
            else segmented.base_stage || ': no threshold met'
        end as threshold_reason
    from segmented
    left join best
        on segmented.model_id = best.model_id and segmented.contact_id = best.contact_id

)

select * from final
