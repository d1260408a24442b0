{{ config(
    unique_key='valid_from',
    pre_hook="{{ forget_instant(this, 'valid_from') }}",
) }}
-- Each contribution's points behind every score_history row, kept across runs like it: a
-- contact's contributions are recorded whenever score_history records the contact, so a later
-- change can name the contribution whose change decided it (stage_changes.tipping_rule_id).
with

history as (

    select * from {{ ref('score_history') }}
    where valid_from = {{ as_of() }}

),

breakdown as (

    select * from {{ ref('score_breakdown') }}

),

final as (

    select
        history.valid_from,
        breakdown.model_id,
        breakdown.contact_id,
        breakdown.contribution_id,
        breakdown.contribution_type,
        cast(breakdown.points as {{ points_type() }}) as points,
        cast(breakdown.raw_points as {{ points_type() }}) as raw_points
    from breakdown
    inner join history
        on breakdown.model_id = history.model_id and breakdown.contact_id = history.contact_id

)

select * from final
