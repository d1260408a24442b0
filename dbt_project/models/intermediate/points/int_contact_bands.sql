-- Fit, engagement and total bands per scored contact (min inclusive, max exclusive).
with

totals as (

    select * from {{ ref('int_contact_totals') }}

),

bands as (

    select * from {{ ref('stg_score_bands') }}

),

scores as (

    select
        model_id,
        contact_id,
        'fit' as score_column,
        fit_score as score
    from totals
    union all
    select
        model_id,
        contact_id,
        'engagement' as score_column,
        engagement_score as score
    from totals
    union all
    select
        model_id,
        contact_id,
        'total' as score_column,
        total_score as score
    from totals

),

banded as (

    select
        scores.model_id,
        scores.contact_id,
        scores.score_column,
        min(bands.band) as band
    from scores
    inner join bands
        on
            scores.model_id = bands.model_id
            and scores.score_column = bands.score_column
            and {{ in_band('scores.score', 'bands') }}
    group by scores.model_id, scores.contact_id, scores.score_column

),

per_contact as (

    select
        totals.model_id,
        totals.contact_id,
        max(banded.band) filter (where banded.score_column = 'fit') as fit_band,
        max(banded.band) filter (where banded.score_column = 'engagement') as engagement_band,
        max(banded.band) filter (where banded.score_column = 'total') as total_band
    from totals
    left join banded
        on totals.model_id = banded.model_id and totals.contact_id = banded.contact_id
    group by totals.model_id, totals.contact_id

),

final as (

    select
        *,
        fit_band || engagement_band as matrix_label
    from per_contact

)

select * from final
