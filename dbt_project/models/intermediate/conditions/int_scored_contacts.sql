-- One row per model and contact the model scores (its population condition holds, or it has none),
-- plus the converted contacts outside it: a lead that became a customer left the lead population by
-- converting, and the model's outcome analytics need its score. Only in_population rows are published
-- as scores (contact_scores, score_breakdown) or remembered (int_sticky_stages).
with

models as (

    select * from {{ ref('int_models') }}

),

contacts as (

    select * from {{ ref('stg_contacts') }}

),

everyone as (

    select
        models.model_id,
        contacts.contact_id
    from models
    cross join contacts

),

populations as (

    select
        model_id,
        contact_id
    from {{ matching_contacts('population', 'everyone') }}

),

in_population as (

    select
        everyone.model_id,
        everyone.contact_id
    from everyone
    inner join models on everyone.model_id = models.model_id
    where models.population_property is null
    union all
    select
        model_id,
        contact_id
    from populations

),

converted_outside as (

    select
        outcomes.model_id,
        outcomes.contact_id
    from {{ ref('int_contact_outcomes') }} as outcomes
    anti join in_population
        on outcomes.model_id = in_population.model_id and outcomes.contact_id = in_population.contact_id
    where outcomes.is_converted

),

final as (

    select
        model_id,
        contact_id,
        true as in_population
    from in_population
    union all
    select
        model_id,
        contact_id,
        false as in_population
    from converted_outside

)

select * from final
