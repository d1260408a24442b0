{{ config(meta={'dagster': {'ref': {'name': 'contact_scores'}}}) }}
-- Group and total caps hold: |fit| <= fit_cap, |engagement| <= engagement_cap, and the capped
-- total (before feedback, which is never capped) <= total_cap.
with

scores as (

    select * from {{ ref('contact_scores') }}

),

models as (

    select * from {{ ref('stg_scoring_models') }}

)

select scores.*
from scores
inner join models on scores.model_id = models.model_id
where
    (models.fit_cap is not null and abs(scores.fit_score) > abs(models.fit_cap))
    or (models.engagement_cap is not null and abs(scores.engagement_score) > abs(models.engagement_cap))
    or (
        models.total_cap is not null
        and abs(scores.total_score - scores.feedback_points) > abs(models.total_cap)
    )
