-- Every stage's effective threshold row per scored contact, and whether it holds: the segment's
-- row for that stage, else the `*` row (fallback is per stage). A contact of a model without
-- thresholds keeps one row with a null stage, so every scored contact is here.
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

required_matches as (

    select * from {{ ref('int_rule_matches') }}

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
        segmented.base_stage,
        segmented.segment as contact_segment,
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
    left join thresholds
        on
            segmented.model_id = thresholds.model_id
            and (thresholds.segment = '*' or thresholds.segment = segmented.segment)
    qualify row_number() over (
            partition by segmented.model_id, segmented.contact_id, thresholds.stage
            order by thresholds.segment = '*'
        ) = 1

),

final as (

    select
        stage_rows.model_id,
        stage_rows.contact_id,
        stage_rows.base_stage,
        stage_rows.contact_segment,
        stage_rows.stage,
        stage_rows.stage_rank,
        stage_rows.segment,
        stage_rows.score_column,
        stage_rows.score,
        stage_rows.min_score,
        stage_rows.required_rule_id,
        case
            when stage_rows.required_rule_id is not null
                then required_matches.rule_id is not null
        end as required_rule_matched,
        stage_rows.stage is not null
        and (stage_rows.min_score is null or stage_rows.score >= stage_rows.min_score)
        and (stage_rows.required_rule_id is null or required_matches.rule_id is not null)
            as holds,
        'score ' || stage_rows.score_column || ' ' || cast(stage_rows.score as string)
        || coalesce(' >= ' || cast(stage_rows.min_score as string), '')
        || coalesce(', rule ' || stage_rows.required_rule_id || ' matched', '')
        || ' (segment ' || stage_rows.segment || ')' as reason
    from stage_rows
    left join required_matches
        on
            stage_rows.model_id = required_matches.model_id
            and stage_rows.contact_id = required_matches.contact_id
            and stage_rows.required_rule_id = required_matches.rule_id

)

select * from final
