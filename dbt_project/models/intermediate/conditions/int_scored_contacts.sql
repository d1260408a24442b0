-- One row per model and contact the model scores (its population condition holds, or it has none).
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

final as (

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

)

select * from final
