{{ config(meta={'dagster': {'ref': {'name': 'contact_scores'}}}) }}
-- Invariant of contract §4: total_score equals the sum of the contact's breakdown points.
with

breakdown as (

    select
        model_id,
        contact_id,
        sum(points) as breakdown_total
    from {{ ref('score_breakdown') }}
    group by model_id, contact_id

),

scores as (

    select * from {{ ref('contact_scores') }}

)

select
    scores.model_id,
    scores.contact_id,
    scores.total_score,
    coalesce(breakdown.breakdown_total, 0) as breakdown_total
from scores
left join breakdown
    on scores.model_id = breakdown.model_id and scores.contact_id = breakdown.contact_id
where scores.total_score <> coalesce(breakdown.breakdown_total, 0)
