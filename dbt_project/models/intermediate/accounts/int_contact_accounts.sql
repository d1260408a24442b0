-- The account of each published contact of a model that rolls scores up to accounts: the value
-- of its account_property (compared case-insensitively), or with `email_domain` the domain of the
-- contact's e-mail. Contacts without one belong to no account.
with

models as (

    select
        model_id,
        account_property,
        case
            when account_property = 'email_domain' then 'email' else account_property
        end as source_property
    from {{ ref('int_models') }}
    where account_property is not null

),

published as (

    select * from {{ ref('int_published_contacts') }}

),

properties as (

    select
        contact_id,
        property_name,
        property_value
    from {{ ref('stg_contact_properties') }}

),

keyed as (

    select
        published.model_id,
        published.contact_id,
        case
            when models.account_property = 'email_domain'
                then nullif(lower(split_part(properties.property_value, '@', 2)), '')
            else properties.property_value
        end as account_name
    from published
    inner join models on published.model_id = models.model_id
    inner join properties
        on
            published.contact_id = properties.contact_id
            and models.source_property = properties.property_name

),

final as (

    select
        model_id,
        contact_id,
        lower(account_name) as account_id,
        account_name
    from keyed
    where account_name is not null

)

select * from final
