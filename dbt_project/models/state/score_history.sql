{{ config(unique_key='as_of') }}
-- One row per (as_of, model_id, contact_id), kept across runs (folder `state`, settings in
-- dbt_project.yml; never rebuilt by --full-refresh): re-running one as-of replaces its rows.
-- `contributions` keeps each contribution's points so a later run can name the tipping rule.
with

scores as (

    select * from {{ ref('contact_scores') }}

),

contributions as (

    select
        model_id,
        contact_id,
        map_from_entries(list(
            { 'key': contribution_id, 'value': points } order by contribution_id
        )) as contributions
    from {{ ref('score_breakdown') }}
    group by model_id, contact_id

),

final as (

    select
        scores.as_of,
        scores.model_id,
        scores.contact_id,
        scores.fit_score,
        scores.engagement_score,
        scores.feedback_points,
        scores.total_score,
        scores.fit_band,
        scores.engagement_band,
        scores.total_band,
        scores.matrix_label,
        scores.stage,
        scores.stage_rank,
        scores.is_excluded,
        coalesce(contributions.contributions, map()) as contributions
    from scores
    left join contributions
        on scores.model_id = contributions.model_id and scores.contact_id = contributions.contact_id

)

select * from final
