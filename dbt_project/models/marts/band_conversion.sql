-- Conversion per model, score kind and band (and per fit x engagement matrix cell).
with

outcomes as (

    select * from {{ ref('outcomes') }}

),

bands as (

    select * from {{ ref('stg_score_bands') }}

),

by_band as (

    select
        model_id,
        'total' as score_kind,
        total_band as band,
        is_converted
    from outcomes
    union all
    select
        model_id,
        'fit' as score_kind,
        fit_band as band,
        is_converted
    from outcomes
    union all
    select
        model_id,
        'engagement' as score_kind,
        engagement_band as band,
        is_converted
    from outcomes
    union all
    select
        model_id,
        'matrix' as score_kind,
        matrix_label as band,
        is_converted
    from outcomes

),

overall as (

    select
        model_id,
        -- A double ratio: an avg of decimals is a double on DuckDB but 5-place decimal on Spark.
        cast(count(*) filter (where is_converted) as double) / count(*) as conversion_rate
    from outcomes
    group by model_id

),

band_floors as (

    select
        model_id,
        score_column as score_kind,
        band,
        min(min_score) as band_min_score
    from bands
    group by model_id, score_column, band

),

counted as (

    select
        model_id,
        score_kind,
        band,
        count(*) as contacts,
        count(*) filter (where is_converted) as converted_contacts
    from by_band
    where band is not null
    group by model_id, score_kind, band

),

final as (

    select
        counted.model_id,
        counted.score_kind,
        counted.band,
        cast(band_floors.band_min_score as double) as band_min_score,
        counted.contacts,
        counted.converted_contacts,
        counted.converted_contacts / counted.contacts as conversion_rate,
        case
            when overall.conversion_rate > 0
                then (counted.converted_contacts / counted.contacts) / overall.conversion_rate
        end as lift,
        {{ as_of() }} as as_of
    from counted
    inner join overall on counted.model_id = overall.model_id
    left join band_floors
        on
            counted.model_id = band_floors.model_id
            and counted.score_kind = band_floors.score_kind
            and counted.band = band_floors.band

)

select * from final
