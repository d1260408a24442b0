-- Per rule: how many contacts with a known outcome it matched, and their conversion against the rest.
with

outcomes as (

    select * from {{ ref('outcomes') }}

),

rules as (

    select rules.*
    from {{ ref('stg_scoring_rules') }} as rules
    inner join {{ ref('int_models') }} as models on rules.model_id = models.model_id
    where rules.is_enabled

),

matches as (

    select * from {{ ref('int_rule_matches') }}

),

-- Matches are few next to rules x contacts: count them, and take the totals per model.
per_model as (

    select
        model_id,
        count(*) as contacts_with_outcome,
        count(*) filter (where is_converted) as converted_contacts
    from outcomes
    group by model_id

),

matched as (

    select
        matches.model_id,
        matches.rule_id,
        count(*) as matched_contacts,
        count(*) filter (where outcomes.is_converted) as converted_when_matched
    from matches
    inner join outcomes
        on matches.model_id = outcomes.model_id and matches.contact_id = outcomes.contact_id
    group by matches.model_id, matches.rule_id

),

per_rule as (

    select
        rules.model_id,
        rules.rule_id,
        per_model.contacts_with_outcome,
        coalesce(matched.matched_contacts, 0) as matched_contacts,
        per_model.converted_contacts,
        coalesce(matched.converted_when_matched, 0) as converted_when_matched
    from rules
    inner join per_model on rules.model_id = per_model.model_id
    left join matched on rules.model_id = matched.model_id and rules.rule_id = matched.rule_id

),

final as (

    select
        rules.model_id,
        rules.rule_id,
        rules.score_group,
        rules.description,
        cast(rules.points as double) as points,
        per_rule.contacts_with_outcome,
        per_rule.matched_contacts,
        per_rule.matched_contacts / per_rule.contacts_with_outcome as coverage,
        per_rule.converted_when_matched,
        case
            when per_rule.matched_contacts > 0
                then per_rule.converted_when_matched / per_rule.matched_contacts
        end as conversion_rate_when_matched,
        case
            when per_rule.contacts_with_outcome > per_rule.matched_contacts
                then (per_rule.converted_contacts - per_rule.converted_when_matched)
                    / (per_rule.contacts_with_outcome - per_rule.matched_contacts)
        end as conversion_rate_when_not_matched,
        case
            when per_rule.matched_contacts > 0 and per_rule.converted_contacts > 0
                then (per_rule.converted_when_matched / per_rule.matched_contacts)
                    / (per_rule.converted_contacts / per_rule.contacts_with_outcome)
        end as lift,
        {{ as_of() }} as as_of
    from per_rule
    inner join rules on per_rule.model_id = rules.model_id and per_rule.rule_id = rules.rule_id

)

select * from final
