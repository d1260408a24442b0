{{ config(
    unique_key='as_of',
    pre_hook="{{ forget_instant(this, 'as_of') }}",
) }}
-- How well each model's total score predicts conversion, per as-of: kept across runs (folder
-- `state`, settings in dbt_project.yml) so quality is tracked over time; re-computing an
-- instant replaces its rows.
with

outcomes as (

    select * from {{ ref('outcomes') }}

),

bands as (

    select * from {{ ref('stg_score_bands') }}

),

-- Mann-Whitney: AUC from the rank sum of the converted contacts (ties share their mean rank).
ranked as (

    select
        model_id,
        contact_id,
        is_converted,
        total_band,
        avg(position) over (partition by model_id, total_score) as mean_rank,
        row_number()
            over (partition by model_id order by total_score desc, contact_id asc)
            as position_from_top,
        count(*) over (partition by model_id) as contacts
    from (
        select
            *,
            row_number() over (partition by model_id order by total_score) as position
        from outcomes
    ) as positioned

),

per_model as (

    select
        model_id,
        count(*) as contacts_with_outcome,
        count(*) filter (where is_converted) as converted_contacts,
        sum(mean_rank) filter (where is_converted) as converted_rank_sum,
        -- Top decile: the first ceil(n/10) contacts by total score (ties by contact_id).
        count(*) filter (where position_from_top <= ceil(contacts / 10.0)) as top_decile_contacts,
        count(*) filter (where position_from_top <= ceil(contacts / 10.0) and is_converted)
            as top_decile_converted
    from ranked
    group by model_id

),

top_bands as (

    select
        model_id,
        band as top_band
    from bands
    where score_column = 'total'
    qualify row_number() over (partition by model_id order by min_score desc nulls last, band asc) = 1

),

top_band_outcomes as (

    select
        top_bands.model_id,
        top_bands.top_band,
        count(outcomes.contact_id) as top_band_contacts,
        count(outcomes.contact_id) filter (where outcomes.is_converted) as top_band_converted
    from top_bands
    left join outcomes
        on top_bands.model_id = outcomes.model_id and top_bands.top_band = outcomes.total_band
    group by top_bands.model_id, top_bands.top_band

),

leakage as (

    select
        model_id,
        count(*) filter (where is_converted and reference_source = 'history') as converted_from_history
    from outcomes
    group by model_id

),

final as (

    select
        {{ as_of() }} as as_of,
        per_model.model_id,
        per_model.contacts_with_outcome,
        per_model.converted_contacts,
        per_model.converted_contacts / per_model.contacts_with_outcome as conversion_rate,
        case
            when per_model.converted_contacts > 0
                and per_model.converted_contacts < per_model.contacts_with_outcome
                then (
                    per_model.converted_rank_sum
                    - per_model.converted_contacts * (per_model.converted_contacts + 1) / 2.0
                ) / (
                    per_model.converted_contacts
                    * (per_model.contacts_with_outcome - per_model.converted_contacts)
                )
        end as auc,
        case
            when per_model.converted_contacts > 0
                then (per_model.top_decile_converted / per_model.top_decile_contacts)
                    / (per_model.converted_contacts / per_model.contacts_with_outcome)
        end as top_decile_lift,
        top_band_outcomes.top_band,
        coalesce(top_band_outcomes.top_band_contacts, 0) as top_band_contacts,
        case
            when top_band_outcomes.top_band_contacts > 0
                then top_band_outcomes.top_band_converted / top_band_outcomes.top_band_contacts
        end as top_band_conversion_rate,
        case
            when per_model.converted_contacts > 0
                then leakage.converted_from_history / per_model.converted_contacts
        end as converted_scored_before_deal_share
    from per_model
    inner join leakage on per_model.model_id = leakage.model_id
    left join top_band_outcomes on per_model.model_id = top_band_outcomes.model_id

)

select * from final
