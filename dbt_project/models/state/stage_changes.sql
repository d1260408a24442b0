{{ config(unique_key='changed_at') }}
-- One row per contact whose stage or total band changed since its last published run, kept
-- across runs (folder `state`, settings in dbt_project.yml; never rebuilt by --full-refresh):
-- re-running one as-of replaces the rows it changed at. A contact scored for the first time has
-- no previous row and appears with from_stage null. `tipping_rule_id` is the contribution whose
-- points changed most.
with

history as (

    select * from {{ ref('score_history') }}

),

current_run as (

    select * from history
    where as_of = {{ as_of() }}

),

-- The comparison is with the last *published* run: a refused or failed run never counts.
published as (

    select distinct as_of from {{ source('ops', 'publish_log') }}

),

previous_run as (

    select history.*
    from history
    inner join published on history.as_of = published.as_of
    where history.as_of < {{ as_of() }}
    qualify row_number() over (
            partition by history.model_id, history.contact_id order by history.as_of desc
        ) = 1

),

paired as (

    select
        current_run.model_id,
        current_run.contact_id,
        previous_run.stage as from_stage,
        current_run.stage as to_stage,
        previous_run.total_band as from_band,
        current_run.total_band as to_band,
        previous_run.total_score as from_score,
        current_run.total_score as to_score,
        previous_run.as_of as previous_as_of,
        current_run.as_of as changed_at,
        current_run.contributions as to_contributions,
        coalesce(previous_run.contributions, map()) as from_contributions
    from current_run
    left join previous_run
        on
            current_run.model_id = previous_run.model_id
            and current_run.contact_id = previous_run.contact_id
    where
        previous_run.contact_id is null
        or previous_run.stage is distinct from current_run.stage
        or previous_run.total_band is distinct from current_run.total_band

),

deltas as (

    select
        paired.model_id,
        paired.contact_id,
        ids.contribution_id,
        coalesce(paired.to_contributions[ids.contribution_id], 0)
        - coalesce(paired.from_contributions[ids.contribution_id], 0) as delta
    from paired
    cross join lateral (
        select unnest(list_distinct(
            list_concat(map_keys(paired.to_contributions), map_keys(paired.from_contributions))
        )) as contribution_id
    ) as ids

),

tipping as (

    select
        model_id,
        contact_id,
        -- The largest change; a tie goes to the first contribution id (deterministic marts).
        arg_min(contribution_id, { 'change': -abs(delta), 'contribution_id': contribution_id })
            as tipping_rule_id
    from deltas
    where delta <> 0
    group by model_id, contact_id

),

final as (

    select
        paired.model_id,
        paired.contact_id,
        paired.from_stage,
        paired.to_stage,
        paired.from_band,
        paired.to_band,
        paired.from_score,
        paired.to_score,
        paired.previous_as_of,
        paired.changed_at,
        tipping.tipping_rule_id
    from paired
    left join tipping
        on paired.model_id = tipping.model_id and paired.contact_id = tipping.contact_id

)

select * from final
