-- The highest-ranked stage whose threshold holds, per scored contact (base stage = rank 0).
-- Which threshold rows hold is decided once, in int_threshold_checks (explain reads it too).
with

checks as (

    select * from {{ ref('int_threshold_checks') }}

),

contacts as (

    select
        model_id,
        contact_id,
        any_value(base_stage) as base_stage,
        any_value(contact_segment) as segment
    from checks
    group by model_id, contact_id

),

best as (

    select
        model_id,
        contact_id,
        -- Stage and reason come from the same row, also when two stages share a rank.
        max_by(stage, {{ sort_key(['stage_rank', 'stage']) }}) as stage,
        max(stage_rank) as stage_rank,
        max_by(reason, {{ sort_key(['stage_rank', 'stage']) }}) as reason
    from checks
    where holds
    group by model_id, contact_id

),

final as (

    select
        contacts.model_id,
        contacts.contact_id,
        contacts.segment,
        case when best.stage_rank > 0 then best.stage else contacts.base_stage end
            as threshold_stage,
        greatest(coalesce(best.stage_rank, 0), 0) as threshold_rank,
        case
            when best.stage_rank > 0 then best.stage || ': ' || best.reason
            else contacts.base_stage || ': no threshold met'
        end as threshold_reason
    from contacts
    left join best
        on contacts.model_id = best.model_id and contacts.contact_id = best.contact_id

)

select * from final
