-- Every condition the engine evaluates, in one shape: rule conditions, model populations and
-- stage exclusions. `default_outcome` is the outcome for a contact with no evidence (property
-- not set / no matching activity); evidence that flips it is an "exception".
with

models as (

    select * from {{ ref('int_models') }}

),

rules as (

    select rules.*
    from {{ ref('stg_scoring_rules') }} as rules
    inner join models on rules.model_id = models.model_id
    where rules.is_enabled

),

rule_conditions as (

    select
        rule_conditions.condition_id,
        'rule' as owner_kind,
        rules.rule_id as owner_id,
        rules.model_id,
        rule_conditions.subject,
        rule_conditions.field,
        rule_conditions.operator,
        rule_conditions.condition_value,
        rule_conditions.condition_value_norm,
        rule_conditions.condition_values,
        rule_conditions.window_days,
        rule_conditions.min_count,
        rule_conditions.max_count,
        rule_conditions.aggregate,
        rule_conditions.min_sum,
        rule_conditions.max_sum,
        rule_conditions.baseline_days,
        rule_conditions.change_percent
    from {{ ref('stg_rule_conditions') }} as rule_conditions
    inner join rules on rule_conditions.rule_id = rules.rule_id

),

population_conditions as (

    select
        'population:' || model_id as condition_id,
        'population' as owner_kind,
        model_id as owner_id,
        model_id,
        'property' as subject,
        population_property as field,
        coalesce(population_operator, 'eq') as operator,
        population_value as condition_value,
        lower(population_value) as condition_value_norm,
        {{ norm_list('population_value') }} as condition_values,
        {{ no_activity_columns() }}
    from models
    where population_property is not null

),

exclusion_conditions as (

    select
        'exclusion:' || exclusions.model_id || ':' || exclusions.exclusion_id as condition_id,
        'exclusion' as owner_kind,
        exclusions.exclusion_id as owner_id,
        exclusions.model_id,
        'property' as subject,
        exclusions.property_name as field,
        exclusions.operator,
        exclusions.condition_value,
        exclusions.condition_value_norm,
        exclusions.condition_values,
        {{ no_activity_columns() }}
    from {{ ref('stg_stage_exclusions') }} as exclusions
    inner join models on exclusions.model_id = models.model_id

),

unioned as (

    select * from rule_conditions
    union all
    select * from population_conditions
    union all
    select * from exclusion_conditions

),

final as (

    select
        *,
        case
            -- A trend needs activity in its window or baseline; a bound holds at 0 or not.
            when subject = 'activity' and baseline_days is not null then false
            when subject = 'activity' and aggregate = 'sum'
                then coalesce(min_sum <= 0, true) and coalesce(max_sum >= 0, true)
            when subject = 'activity' then min_count <= 0
            else {{ holds_when_unset('operator') }}
        end as default_outcome
    from unioned

)

select * from final
