-- The first matching exclusion (file order) of each excluded scored contact.
with

scored as (

    select * from {{ ref('int_scored_contacts') }}

),

matches as (

    select
        model_id,
        owner_id as exclusion_id,
        contact_id
    from {{ matching_contacts('exclusion', 'scored') }}

),

exclusions as (

    select * from {{ ref('stg_stage_exclusions') }}

),

final as (

    select
        matches.model_id,
        matches.contact_id,
        min_by(matches.exclusion_id, exclusions.exclusion_order) as exclusion_id,
        min_by(coalesce(exclusions.reason, matches.exclusion_id), exclusions.exclusion_order)
            as exclusion_reason
    from matches
    inner join exclusions
        on
            matches.model_id = exclusions.model_id
            and matches.exclusion_id = exclusions.exclusion_id
    group by matches.model_id, matches.contact_id

)

select * from final
