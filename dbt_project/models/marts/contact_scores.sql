-- One row per (model_id, contact_id) scored: scores, bands, stage and why.
with

totals as (

    select * from {{ ref('int_contact_totals') }}

),

bands as (

    select * from {{ ref('int_contact_bands') }}

),

stages as (

    select * from {{ ref('int_contact_stages') }}

),

published_contacts as (

    select * from {{ ref('int_published_contacts') }}

),

breakdown as (

    select * from {{ ref('score_breakdown') }}

),

models as (

    select * from {{ ref('int_models') }}

),

-- Reasons in the analyst's words (each rule's description, else its id): the three strongest
-- positive drivers, then a cap as a note, then the two largest negatives, e.g. "Requested a
-- demo +50; Attended a webinar +25; engagement capped at 100; No e-mail opened for 60 days
-- -25". score_breakdown keeps every contribution, machine-readable.
reason_items as (

    select
        model_id,
        contact_id,
        1 as part,
        row_number() over (
            partition by model_id, contact_id order by points desc, contribution_id asc
        ) as item_order,
        coalesce(description, contribution_id) || ' +' || {{ plain_points('points') }} as item
    from breakdown
    where contribution_type <> 'cap' and points > 0
    qualify item_order <= 3

    union all

    select
        model_id,
        contact_id,
        3 as part,
        row_number() over (
            partition by model_id, contact_id order by points asc, contribution_id asc
        ) as item_order,
        coalesce(description, contribution_id) || ' ' || {{ plain_points('points') }} as item
    from breakdown
    where contribution_type <> 'cap' and points < 0
    qualify item_order <= 2

    union all

    select
        breakdown.model_id,
        breakdown.contact_id,
        2 as part,
        row_number() over (
            partition by breakdown.model_id, breakdown.contact_id
            order by breakdown.contribution_id
        ) as item_order,
        breakdown.score_group || ' capped at ' || {{ plain_points(
            "case breakdown.score_group when 'fit' then models.fit_cap "
            ~ "when 'engagement' then models.engagement_cap else models.total_cap end"
        ) }} as item
    from breakdown
    inner join models on breakdown.model_id = models.model_id
    where breakdown.contribution_type = 'cap' and breakdown.points <> 0

),

-- At most reasons_max_length characters (a CRM text field: Salesforce Text Area 255), whole
-- reasons only; a first reason longer than that is cut at a character, never inside one.
reason_lengths as (

    select
        *,
        sum(length(item) + 2) over (
            partition by model_id, contact_id
            order by part, item_order
            rows between unbounded preceding and current row
        ) - 2 as running_length
    from reason_items

),

reasons as (

    select
        model_id,
        contact_id,
        coalesce(
            {{ ordered_string_agg('item', "'; '", 'part, item_order') }}
            filter (where running_length <= {{ var('reasons_max_length') }}),
            left(
                min_by(item, part * 100 + item_order), {{ var('reasons_max_length') - 1 }}
            ) || '…'
        ) as top_reasons
    from reason_lengths
    group by model_id, contact_id

),

final as (

    select
        totals.model_id,
        totals.contact_id,
        -- One decimal type for points in every published table (lossless: 2 decimals).
        cast(totals.fit_score as {{ points_type() }}) as fit_score,
        cast(totals.engagement_raw as {{ points_type() }}) as engagement_raw,
        cast(totals.decay_points as {{ points_type() }}) as decay_points,
        cast(totals.engagement_score as {{ points_type() }}) as engagement_score,
        cast(totals.feedback_points as {{ points_type() }}) as feedback_points,
        cast(totals.total_score as {{ points_type() }}) as total_score,
        bands.fit_band,
        bands.engagement_band,
        bands.total_band,
        bands.matrix_label,
        stages.stage,
        stages.stage_rank,
        stages.stage_reason,
        stages.is_excluded,
        stages.exclusion_reason,
        coalesce(reasons.top_reasons, '') as top_reasons,
        row_number() over (
            partition by totals.model_id
            order by
                stages.is_excluded asc,
                totals.total_score desc,
                totals.engagement_raw + totals.decay_points desc,
                totals.last_activity_at desc nulls last,
                totals.contact_id asc
        ) as score_rank,
        totals.last_activity_at,
        {{ as_of() }} as as_of
    from totals
    semi join published_contacts
        on
            totals.model_id = published_contacts.model_id
            and totals.contact_id = published_contacts.contact_id
    inner join stages
        on totals.model_id = stages.model_id and totals.contact_id = stages.contact_id
    left join bands
        on totals.model_id = bands.model_id and totals.contact_id = bands.contact_id
    left join reasons
        on totals.model_id = reasons.model_id and totals.contact_id = reasons.contact_id

)

select * from final
