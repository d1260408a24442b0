-- One row per scored contact and enabled rule whose every condition holds.
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

matches as (

    select
        model_id,
        owner_id as rule_id,
        contact_id
    from {{ matching_contacts('rule', 'scored') }}

)

select * from matches
