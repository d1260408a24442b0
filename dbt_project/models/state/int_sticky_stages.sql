{{ config(
    unique_key='as_of',
    pre_hook="{{ forget_instant(this, 'as_of') }}",
    post_hook="{{ forget_older_stage_memory(this) }}",
) }}
-- The threshold stage after the `sticky` policy, per as-of: the memory that `sticky` needs.
-- Kept across runs (folder `state`, settings in dbt_project.yml; never rebuilt by --full-refresh):
-- re-running one as-of replaces its rows; only the last published instant is remembered (the
-- post-hook forgets older ones), so the memory does not grow with the number of runs.
-- A contact keeps the higher stage of the last published run if it scored under the same rule
-- set. A backfill remembers its own previous instant instead, in its own scratch database.
with

stages as (

    select * from {{ ref('int_threshold_stages') }}

),

models as (

    select * from {{ ref('int_models') }}

),

published_contacts as (

    select * from {{ ref('int_published_contacts') }}

),

rule_set as (

    select rule_set_version from {{ ref('int_rule_set_version') }}

),

{% if is_incremental() %}
previous as (

    select
        model_id,
        contact_id,
        sticky_stage,
        sticky_rank,
        as_of
    from {{ this }}
    where
        rule_set_version = (select rule_set_version from rule_set)
        {% if is_backfill() %}
            and as_of = (select max(earlier.as_of) from {{ this }} as earlier where earlier.as_of < {{ as_of() }})
        {% else %}
            -- Only published runs count: a run refused by the rule-change guard leaves no memory.
            and as_of = (
                select max(published.as_of) from {{ source('ops', 'publish_log') }} as published
                where published.as_of < {{ as_of() }}
            )
        {% endif %}

),
{% else %}
    previous as (

        select
            cast(null as string) as model_id,
            cast(null as string) as contact_id,
            cast(null as string) as sticky_stage,
            cast(null as integer) as sticky_rank,
            cast(null as timestamp) as as_of
        where false

    ),
{% endif %}

final as (

    select
        {{ as_of() }} as as_of,
        stages.model_id,
        stages.contact_id,
        (select rule_set.rule_set_version from rule_set) as rule_set_version,
        stages.threshold_stage,
        stages.threshold_rank,
        stages.threshold_reason,
        case
            when models.stage_policy = 'sticky' and previous.sticky_rank > stages.threshold_rank
                then previous.sticky_stage
            else stages.threshold_stage
        end as sticky_stage,
        case
            when models.stage_policy = 'sticky' and previous.sticky_rank > stages.threshold_rank
                then previous.sticky_rank
            else stages.threshold_rank
        end as sticky_rank,
        case
            when models.stage_policy = 'sticky' and previous.sticky_rank > stages.threshold_rank
                then previous.as_of
        end as sticky_since_as_of
    from stages
    semi join published_contacts
        on stages.model_id = published_contacts.model_id and stages.contact_id = published_contacts.contact_id
    inner join models on stages.model_id = models.model_id
    left join previous
        on stages.model_id = previous.model_id and stages.contact_id = previous.contact_id

)

select * from final
