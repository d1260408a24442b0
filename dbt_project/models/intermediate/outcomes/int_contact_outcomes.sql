-- Per model and contact: converted or not, when that is known (contract §8 "Outcomes").
-- A model with outcome_property reads that property (blank = unknown: no row); any other model
-- counts a won deal (of the product line outcome_value names, when set) created and won at or
-- before the as-of, and every contact without one as not converted.
with

models as (

    select * from {{ ref('int_models') }}

),

contacts as (

    select contact_id from {{ ref('stg_contacts') }}

),

properties as (

    select * from {{ ref('stg_contact_properties') }}

),

deals as (

    select * from {{ ref('stg_deals') }}

),

property_outcomes as (

    select
        models.model_id,
        properties.contact_id,
        -- `1` also matches `1.0` (a number exported as a float).
        coalesce(
            properties.property_value_norm = lower(models.outcome_value)
            or properties.property_number = try_cast(models.outcome_value as double),
            false
        ) as is_converted,
        'property' as outcome_source,
        properties.property_value as outcome_evidence,
        cast(null as timestamp) as deal_created_at,
        cast(null as timestamp) as deal_won_at,
        cast(null as double) as won_amount
    from models
    inner join properties on models.outcome_property = properties.property_name
    where models.outcome_property is not null

),

-- One record per won deal: a deal_id may repeat when its records differ (e.g. a corrected
-- amount); the latest close (then the largest amount) speaks for it.
won_records as (

    select
        models.model_id,
        deals.deal_id,
        deals.contact_id,
        deals.created_at,
        deals.closed_at,
        deals.amount
    from models
    inner join deals
        on
            deals.status = 'won'
            and (models.outcome_value is null or lower(deals.product_line) = lower(models.outcome_value))
    where
        models.outcome_property is null
        and deals.created_at <= {{ as_of() }}
        -- A won deal without a close date counts as won when it was created.
        and (deals.closed_at is null or deals.closed_at <= {{ as_of() }})
    qualify row_number() over (
            partition by models.model_id, deals.deal_id
            order by deals.closed_at desc nulls last, deals.amount desc nulls last, deals.contact_id asc
        ) = 1

),

won_deals as (

    select
        model_id,
        contact_id,
        min(created_at) as deal_created_at,
        -- The close of that first won deal.
        min_by(closed_at, created_at) as deal_won_at,
        sum(amount) as won_amount,
        count(*) as won_deals
    from won_records
    group by model_id, contact_id

),

deal_outcomes as (

    select
        models.model_id,
        contacts.contact_id,
        won_deals.contact_id is not null as is_converted,
        'deal' as outcome_source,
        case
            when won_deals.contact_id is null then 'no won deal'
            else won_deals.won_deals || ' won deal(s)'
        end as outcome_evidence,
        won_deals.deal_created_at,
        won_deals.deal_won_at,
        won_deals.won_amount
    from models
    cross join contacts
    left join won_deals
        on models.model_id = won_deals.model_id and contacts.contact_id = won_deals.contact_id
    where models.outcome_property is null

),

final as (

    select * from property_outcomes
    union all
    select * from deal_outcomes

)

select * from final
