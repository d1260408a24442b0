-- The final stage per scored contact: threshold -> sticky -> feedback max_stage ->
-- feedback stage_override -> exclusion (contract §3, "Stages").
with

sticky as (

    select * from {{ ref('int_sticky_stages') }}
    where as_of = {{ as_of() }}

),

models as (

    select * from {{ ref('int_models') }}

),

stage_ranks as (

    select
        model_id,
        stage,
        max(stage_rank) as stage_rank
    from {{ ref('stg_score_thresholds') }}
    group by model_id, stage
    union all
    select
        model_id,
        base_stage as stage,
        0 as stage_rank
    from models

),

ranks as (

    select
        model_id,
        stage,
        max(stage_rank) as stage_rank
    from stage_ranks
    group by model_id, stage

),

feedback as (

    select * from {{ ref('int_contact_feedback') }}

),

exclusions as (

    select * from {{ ref('int_exclusion_matches') }}

),

after_sticky as (

    select
        sticky.model_id,
        sticky.contact_id,
        sticky.sticky_stage as stage,
        sticky.sticky_rank as stage_rank,
        case
            when sticky.sticky_since_as_of is not null
                then sticky.sticky_stage || ': kept by sticky policy (reached by '
                    || cast(sticky.sticky_since_as_of as string) || '); now ' || sticky.threshold_reason
            else sticky.threshold_reason
        end as stage_reason
    from sticky

),

after_max_stage as (

    select
        after_sticky.model_id,
        after_sticky.contact_id,
        case
            when max_rank.stage_rank < after_sticky.stage_rank then feedback.max_stage
            else after_sticky.stage
        end as stage,
        case
            when max_rank.stage_rank < after_sticky.stage_rank then max_rank.stage_rank
            else after_sticky.stage_rank
        end as stage_rank,
        case
            when max_rank.stage_rank < after_sticky.stage_rank
                then feedback.max_stage || ': sales feedback ' || feedback.feedback
                    || ' limits the stage (was ' || after_sticky.stage_reason || ')'
            else after_sticky.stage_reason
        end as stage_reason
    from after_sticky
    left join feedback
        on
            after_sticky.model_id = feedback.model_id
            and after_sticky.contact_id = feedback.contact_id
    left join ranks as max_rank
        on
            feedback.model_id = max_rank.model_id
            and feedback.max_stage = max_rank.stage

),

after_override as (

    select
        after_max_stage.model_id,
        after_max_stage.contact_id,
        coalesce(feedback.stage_override, after_max_stage.stage) as stage,
        case
            when feedback.stage_override is null then after_max_stage.stage_rank
            else coalesce(override_rank.stage_rank, -1)
        end as stage_rank,
        case
            when feedback.stage_override is null then after_max_stage.stage_reason
            else feedback.stage_override || ': sales feedback ' || feedback.feedback
                || ' on ' || cast(feedback.given_at as string)
                || coalesce(' by ' || feedback.given_by, '')
        end as stage_reason
    from after_max_stage
    left join feedback
        on
            after_max_stage.model_id = feedback.model_id
            and after_max_stage.contact_id = feedback.contact_id
    left join ranks as override_rank
        on
            feedback.model_id = override_rank.model_id
            and feedback.stage_override = override_rank.stage

),

final as (

    select
        after_override.model_id,
        after_override.contact_id,
        case when exclusions.contact_id is null then after_override.stage else 'excluded' end
            as stage,
        case when exclusions.contact_id is null then after_override.stage_rank else -1 end
            as stage_rank,
        case
            when exclusions.contact_id is null then after_override.stage_reason
            else 'excluded: ' || exclusions.exclusion_reason
        end as stage_reason,
        exclusions.contact_id is not null as is_excluded,
        exclusions.exclusion_reason,
        exclusions.exclusion_id
    from after_override
    left join exclusions
        on
            after_override.model_id = exclusions.model_id
            and after_override.contact_id = exclusions.contact_id

)

select * from final
