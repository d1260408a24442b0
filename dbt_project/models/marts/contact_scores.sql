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

-- The largest contributions, e.g. "demo_request +70, pricing_page +10, email_open +15".
reasons as (

    select
        model_id,
        contact_id,
        string_agg(
            contribution_id || ' ' || case when points > 0 then '+' else '' end
            || regexp_replace(cast(points as varchar), '\.?0+$', ''),
            ', '
            order by abs(points) desc, contribution_id
        ) as top_reasons
    from (
        select *
        from breakdown
        where points <> 0
        qualify row_number() over (
                partition by model_id, contact_id order by abs(points) desc, contribution_id
            ) <= 5
    ) as largest
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
