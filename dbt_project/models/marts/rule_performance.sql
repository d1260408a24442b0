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

per_rule as (

    select
        rules.model_id,
        rules.rule_id,
        count(*) as contacts_with_outcome,
        count(matches.contact_id) as matched_contacts,
        count(*) filter (where outcomes.is_converted) as converted_contacts,
        count(matches.contact_id) filter (where outcomes.is_converted) as converted_when_matched
    from rules
    inner join outcomes on rules.model_id = outcomes.model_id
    left join matches
        on
            rules.model_id = matches.model_id
            and rules.rule_id = matches.rule_id
            and outcomes.contact_id = matches.contact_id
    group by rules.model_id, rules.rule_id

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
