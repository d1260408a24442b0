-- Enabled scoring models.
select * from {{ ref('stg_scoring_models') }}
where is_enabled
