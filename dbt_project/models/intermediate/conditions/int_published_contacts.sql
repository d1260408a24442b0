{{ config(materialized='ephemeral') }}
-- The contacts whose scores are published: a model's population. The converted contacts
-- outside it (int_scored_contacts.in_population false) are scored for the outcome marts only.
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

final as (

    select
        model_id,
        contact_id
    from scored
    where in_population

)

select * from final
