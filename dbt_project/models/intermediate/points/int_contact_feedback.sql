-- The newest sales feedback at or before as-of per scored contact and model, with its effect.
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

feedback as (

    select * from {{ ref('stg_sales_feedback') }}
    where given_at <= {{ as_of() }}

),

applicable as (

    -- Feedback without a model applies to every model.
    select
        scored.model_id,
        scored.contact_id,
        feedback.feedback,
        feedback.given_at,
        feedback.given_by,
        feedback.note
    from scored
    inner join feedback
        on
            scored.contact_id = feedback.contact_id
            and (feedback.model_id is null or feedback.model_id = scored.model_id)

),

newest as (

    select *
    from applicable
    qualify row_number() over (
            partition by model_id, contact_id
            order by given_at desc, feedback asc, given_by asc, note asc
        ) = 1

),

final as (

    select
        newest.model_id,
        newest.contact_id,
        newest.feedback,
        newest.given_at,
        newest.given_by,
        newest.note,
        {{ round_points('coalesce(rules.points, 0)') }} as points,
        rules.max_stage,
        rules.stage_override
    from newest
    left join {{ ref('stg_feedback_rules') }} as rules
        on
            newest.model_id = rules.model_id
            and newest.feedback = rules.feedback

)

select * from final
