{{ config(
    unique_key='changed_at',
    pre_hook="{{ forget_instant(this, 'changed_at') }}",
) }}
-- One row per contact whose stage or total band differs from its recorded state before this
-- as-of (score_history), kept across runs (folder `state`, settings in dbt_project.yml; never
-- rebuilt by --full-refresh): re-computing an instant replaces its rows. The cause and the
-- tipping contribution say why; a backfilled instant's rows say `backfill` and never alert.
with

scores as (

    select * from {{ ref('contact_scores') }}

),

history as (

    select * from {{ ref('score_history') }}

),

rule_set as (

    select rule_set_version from {{ ref('int_rule_set_version') }}

),

-- The rule set of the last published run before this instant (publish_log is written by the
-- publisher): a rule change is a different rule set than the one that run scored with.
last_published as (

    select rule_set_version
    from {{ source('ops', 'publish_log') }}
    where as_of < {{ as_of() }}
    order by as_of desc
    limit 1

),

recorded as (

    select *
    from history
    where valid_from < {{ as_of() }}
    qualify row_number() over (partition by model_id, contact_id order by valid_from desc) = 1

),

paired as (

    select
        scores.model_id,
        scores.contact_id,
        recorded.stage as from_stage,
        scores.stage as to_stage,
        recorded.stage_rank as from_rank,
        scores.stage_rank as to_rank,
        recorded.total_band as from_band,
        scores.total_band as to_band,
        recorded.total_score as from_score,
        cast(scores.total_score as {{ points_type() }}) as to_score,
        recorded.is_excluded as from_excluded,
        scores.is_excluded as to_excluded,
        recorded.valid_from as previous_as_of,
        coalesce(
            (select last_published.rule_set_version from last_published),
            recorded.rule_set_version
        ) as from_rule_set_version,
        scores.as_of as changed_at,
        case
            when recorded.stage_rank is null or scores.stage_rank > recorded.stage_rank then 1
            when scores.stage_rank < recorded.stage_rank then -1
            else sign(scores.total_score - recorded.total_score)
        end as direction
    from scores
    left join recorded
        on scores.model_id = recorded.model_id and scores.contact_id = recorded.contact_id
    where
        recorded.contact_id is null
        or recorded.stage is distinct from scores.stage
        or recorded.total_band is distinct from scores.total_band

),

from_contributions as (

    select contributions.*
    from {{ ref('score_history_contributions') }} as contributions
    inner join paired
        on
            contributions.model_id = paired.model_id
            and contributions.contact_id = paired.contact_id
            and contributions.valid_from = paired.previous_as_of

),

to_contributions as (

    select breakdown.*
    from {{ ref('score_breakdown') }} as breakdown
    inner join paired
        on breakdown.model_id = paired.model_id and breakdown.contact_id = paired.contact_id
    where paired.previous_as_of is not null

),

deltas as (

    select
        coalesce(to_contributions.model_id, from_contributions.model_id) as model_id,
        coalesce(to_contributions.contact_id, from_contributions.contact_id) as contact_id,
        coalesce(to_contributions.contribution_id, from_contributions.contribution_id)
            as contribution_id,
        coalesce(to_contributions.contribution_type, from_contributions.contribution_type)
            as contribution_type,
        coalesce(to_contributions.points, 0) - coalesce(from_contributions.points, 0) as delta,
        -- Same raw points, fewer points: time passing (decay), not a new activity.
        coalesce(to_contributions.raw_points = from_contributions.raw_points, false)
            as is_same_raw
    from to_contributions
    full outer join from_contributions
        on
            to_contributions.model_id = from_contributions.model_id
            and to_contributions.contact_id = from_contributions.contact_id
            and to_contributions.contribution_id = from_contributions.contribution_id

),

tipping as (

    select
        deltas.model_id,
        deltas.contact_id,
        deltas.contribution_id as tipping_rule_id,
        case
            when deltas.contribution_type = 'decay' then 'decay'
            when deltas.is_same_raw then 'decay'
            else 'activity'
        end as tipping_cause
    from deltas
    inner join paired
        on deltas.model_id = paired.model_id and deltas.contact_id = paired.contact_id
    -- Caps follow what they cap, and feedback is a cause of its own.
    where
        deltas.contribution_type in ('rule', 'decay')
        and sign(deltas.delta) = paired.direction
    -- The largest change in the direction of the crossing; a tie goes to the first id.
    qualify row_number() over (
            partition by deltas.model_id, deltas.contact_id
            order by abs(deltas.delta) desc, deltas.contribution_id asc
        ) = 1

),

caused as (

    select
        paired.*,
        tipping.tipping_rule_id,
        case
            when {{ is_backfill() }} then 'backfill'
            when paired.previous_as_of is null then 'first_scored'
            -- (a contact with an earlier row has both values)
            when paired.from_rule_set_version <> rule_set.rule_set_version then 'rule_change'
            when paired.from_excluded <> paired.to_excluded then 'exclusion'
            when feedback.given_at > paired.previous_as_of then 'feedback'
            else coalesce(tipping.tipping_cause, 'activity')
        end as change_cause
    from paired
    cross join rule_set
    left join tipping
        on paired.model_id = tipping.model_id and paired.contact_id = tipping.contact_id
    left join {{ ref('int_contact_feedback') }} as feedback
        on paired.model_id = feedback.model_id and paired.contact_id = feedback.contact_id

),

final as (

    select
        model_id,
        contact_id,
        from_stage,
        to_stage,
        case
            when from_rank is null or to_rank > from_rank then 'up'
            when to_rank < from_rank then 'down'
            else 'same'
        end as stage_direction,
        from_band,
        to_band,
        from_score,
        to_score,
        previous_as_of,
        changed_at,
        change_cause,
        case when change_cause in ('activity', 'decay') then tipping_rule_id end
            as tipping_rule_id
    from caused

)

select * from final
