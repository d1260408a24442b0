-- One row per model and account: its contacts' scores rolled up (max, avg, sum or the sum of
-- the top N), the band and stage that score reaches, and who and which buying roles make it.
with

accounts as (

    select * from {{ ref('int_contact_accounts') }}

),

scores as (

    select
        model_id,
        contact_id,
        total_score,
        engagement_score,
        as_of
    from {{ ref('contact_scores') }}

),

models as (

    select
        model_id,
        base_stage,
        account_rollup
    from {{ ref('int_models') }}

),

rules as (

    select * from {{ ref('stg_scoring_rules') }}

),

matches as (

    select * from {{ ref('int_rule_matches') }}

),

bands as (

    select * from {{ ref('stg_score_bands') }}
    where score_column = 'total'

),

thresholds as (

    select * from {{ ref('stg_score_thresholds') }}
    where segment = '*' and score_column = 'total'

),

members as (

    select
        accounts.model_id,
        accounts.account_id,
        accounts.account_name,
        accounts.contact_id,
        scores.total_score,
        scores.engagement_score,
        scores.as_of,
        models.account_rollup,
        models.base_stage,
        row_number() over (
            partition by accounts.model_id, accounts.account_id
            order by scores.total_score desc, accounts.contact_id asc
        ) as score_rank
    from accounts
    inner join scores
        on accounts.model_id = scores.model_id and accounts.contact_id = scores.contact_id
    inner join models on accounts.model_id = models.model_id

),

counted as (

    select
        *,
        case
            when account_rollup = 'max' then score_rank = 1
            when account_rollup like 'sum_top_%'
                then score_rank <= cast(substr(account_rollup, 9) as integer)
            else true
        end as is_counted
    from members

),

member_roles as (

    select distinct
        matches.model_id,
        matches.contact_id,
        rules.buying_role
    from matches
    inner join rules on matches.rule_id = rules.rule_id
    where rules.buying_role is not null

),

model_roles as (

    select
        rules.model_id,
        count(distinct rules.buying_role) as roles_defined
    from rules
    where rules.buying_role is not null and rules.is_enabled
    group by rules.model_id

),

account_roles as (

    select
        counted.model_id,
        counted.account_id,
        {{ ordered_string_agg(
            'member_roles.buying_role', "', '", 'member_roles.buying_role', distinct=true
        ) }} as roles_covered,
        count(distinct member_roles.buying_role) as roles_covered_count
    from counted
    inner join member_roles
        on
            counted.model_id = member_roles.model_id
            and counted.contact_id = member_roles.contact_id
    group by counted.model_id, counted.account_id

),

rolled as (

    select
        model_id,
        account_id,
        min(account_name) as account_name,
        any_value(account_rollup) as account_rollup,
        any_value(base_stage) as base_stage,
        any_value(as_of) as as_of,
        case
            when any_value(account_rollup) = 'avg' then {{ mean_points('total_score') }}
            else cast(sum(total_score) filter (where is_counted) as decimal(18, 2))
        end as account_score,
        count(*) as contact_count,
        count(*) filter (where engagement_score > 0) as engaged_contacts,
        count(*) filter (where is_counted) as counted_contacts,
        {{ ordered_string_agg(
            "contact_id || ' ' || cast(total_score as string)", "', '", 'score_rank'
        ) }} filter (where is_counted) as contributing_contacts
    from counted
    group by model_id, account_id

),

-- A stage's required rule counts when any contact of the account matched it.
account_rules as (

    select distinct
        counted.model_id,
        counted.account_id,
        matches.rule_id
    from counted
    inner join matches
        on counted.model_id = matches.model_id and counted.contact_id = matches.contact_id

),

reached_stages as (

    select
        rolled.model_id,
        rolled.account_id,
        max_by(thresholds.stage, thresholds.stage_rank) as account_stage
    from rolled
    inner join thresholds
        on
            rolled.model_id = thresholds.model_id
            and rolled.account_score >= thresholds.min_score
    left join account_rules
        on
            rolled.model_id = account_rules.model_id
            and rolled.account_id = account_rules.account_id
            and thresholds.required_rule_id = account_rules.rule_id
    where thresholds.required_rule_id is null or account_rules.rule_id is not null
    group by rolled.model_id, rolled.account_id

),

banded as (

    select
        rolled.model_id,
        rolled.account_id,
        min(bands.band) as account_band
    from rolled
    inner join bands
        on
            rolled.model_id = bands.model_id
            and {{ in_band('rolled.account_score', 'bands') }}
    group by rolled.model_id, rolled.account_id

),

final as (

    select
        rolled.model_id,
        rolled.account_id,
        rolled.account_name,
        rolled.account_score,
        banded.account_band,
        coalesce(reached_stages.account_stage, rolled.base_stage) as account_stage,
        rolled.account_rollup,
        rolled.contact_count,
        rolled.engaged_contacts,
        rolled.counted_contacts,
        rolled.contributing_contacts,
        account_roles.roles_covered,
        coalesce(account_roles.roles_covered_count, 0) as roles_covered_count,
        coalesce(model_roles.roles_defined, 0) as roles_defined,
        rolled.as_of
    from rolled
    left join banded
        on rolled.model_id = banded.model_id and rolled.account_id = banded.account_id
    left join reached_stages
        on
            rolled.model_id = reached_stages.model_id
            and rolled.account_id = reached_stages.account_id
    left join account_roles
        on
            rolled.model_id = account_roles.model_id
            and rolled.account_id = account_roles.account_id
    left join model_roles on rolled.model_id = model_roles.model_id

)

select * from final
