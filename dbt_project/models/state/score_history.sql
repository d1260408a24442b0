{{ config(
    unique_key='valid_from',
    pre_hook="{{ forget_instant(this, 'valid_from') }}",
    post_hook="{{ close_validity_periods(this) }}",
) }}
-- A change log, kept across runs (folder `state`, settings in dbt_project.yml; never rebuilt
-- by --full-refresh): a row per model and contact when it is first scored, when its stage,
-- a band, its matrix label or its exclusion changes, or when its total moved by at least
-- history_min_delta() since its last row. Unchanged contacts add nothing, whatever the number
-- of runs. Re-computing an instant replaces its rows (pre-hook); the post-hook closes periods.
with

scores as (

    select * from {{ ref('contact_scores') }}

),

rule_set as (

    select rule_set_version from {{ ref('int_rule_set_version') }}

),

{% if is_incremental() %}
logged as (

    select
        model_id,
        contact_id,
        total_score,
        fit_band,
        engagement_band,
        total_band,
        matrix_label,
        stage,
        stage_rank,
        is_excluded
    from {{ this }}
    where valid_from < {{ as_of() }}
    qualify row_number() over (partition by model_id, contact_id order by valid_from desc) = 1

),
{% else %}
    logged as (

        select
            cast(null as string) as model_id,
            cast(null as string) as contact_id,
            cast(null as {{ points_type() }}) as total_score,
            cast(null as string) as fit_band,
            cast(null as string) as engagement_band,
            cast(null as string) as total_band,
            cast(null as string) as matrix_label,
            cast(null as string) as stage,
            cast(null as integer) as stage_rank,
            cast(null as boolean) as is_excluded
        where false

    ),
{% endif %}

changed as (

    select scores.*
    from scores
    left join logged
        on scores.model_id = logged.model_id and scores.contact_id = logged.contact_id
    where
        logged.contact_id is null
        or scores.stage is distinct from logged.stage
        or scores.stage_rank is distinct from logged.stage_rank
        or scores.fit_band is distinct from logged.fit_band
        or scores.engagement_band is distinct from logged.engagement_band
        or scores.total_band is distinct from logged.total_band
        or scores.matrix_label is distinct from logged.matrix_label
        or scores.is_excluded is distinct from logged.is_excluded
        or abs(scores.total_score - logged.total_score) >= {{ history_min_delta() }}

),

final as (

    select
        changed.as_of as valid_from,
        -- Set by the post-hook when a later row of the contact exists.
        cast(null as timestamp) as valid_to,
        changed.model_id,
        changed.contact_id,
        (select rule_set.rule_set_version from rule_set) as rule_set_version,
        {{ 'true' if is_backfill() else 'false' }} as is_backfill,
        cast(changed.fit_score as {{ points_type() }}) as fit_score,
        cast(changed.engagement_score as {{ points_type() }}) as engagement_score,
        cast(changed.feedback_points as {{ points_type() }}) as feedback_points,
        cast(changed.total_score as {{ points_type() }}) as total_score,
        changed.fit_band,
        changed.engagement_band,
        changed.total_band,
        changed.matrix_label,
        changed.stage,
        changed.stage_rank,
        changed.is_excluded
    from changed

)

select * from final
