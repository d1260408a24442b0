-- Per model and candidate total-score threshold: who would be above it, precision, recall, F1,
-- and which thresholds to recommend for MQL and SQL (criteria in the column `criterion`).
with

outcomes as (

    select * from {{ ref('outcomes') }}

),

-- Candidates: every whole number of points some contact with a known outcome scored.
buckets as (

    select
        model_id,
        floor(total_score) as threshold,
        count(*) as contacts,
        count(*) filter (where is_converted) as converted_contacts
    from outcomes
    group by model_id, floor(total_score)

),

cumulative as (

    select
        model_id,
        threshold,
        sum(contacts) over above as contacts_above,
        sum(converted_contacts) over above as converted_above,
        sum(contacts) over everyone as contacts_with_outcome,
        sum(converted_contacts) over everyone as converted_contacts
    from buckets
    window
        above as (partition by model_id order by threshold desc rows unbounded preceding),
        everyone as (partition by model_id)

),

scored as (

    select
        model_id,
        threshold,
        cast(contacts_above as bigint) as contacts_above,
        cast(converted_above as bigint) as converted_above,
        contacts_above / contacts_with_outcome as share_above,
        converted_above / contacts_above as precision,
        case when converted_contacts > 0 then converted_above / converted_contacts end as recall
    from cumulative

),

with_f as (

    select
        *,
        case when precision + recall > 0 then 2 * precision * recall / (precision + recall) end as f1,
        case
            when precision + recall > 0 then 1.25 * precision * recall / (0.25 * precision + recall)
        end as f_half
    from scored

),

recommended_mql as (

    select
        model_id,
        threshold
    from with_f
    where f1 is not null
    qualify row_number() over (partition by model_id order by f1 desc, threshold asc) = 1

),

recommended_sql as (

    select
        with_f.model_id,
        with_f.threshold
    from with_f
    inner join recommended_mql on with_f.model_id = recommended_mql.model_id
    where with_f.f_half is not null and with_f.threshold >= recommended_mql.threshold
    qualify row_number() over (partition by with_f.model_id order by with_f.f_half desc, with_f.threshold asc)
        = 1

),

final as (

    select
        with_f.model_id,
        cast(with_f.threshold as double) as threshold,
        with_f.contacts_above,
        with_f.share_above,
        with_f.converted_above,
        with_f.precision,
        with_f.recall,
        with_f.f1,
        with_f.f_half,
        coalesce(with_f.threshold = recommended_mql.threshold, false) as is_recommended_mql,
        coalesce(with_f.threshold = recommended_sql.threshold, false) as is_recommended_sql,
        '{{ var("threshold_criterion") }}' as criterion,
        {{ as_of() }} as as_of
    from with_f
    left join recommended_mql on with_f.model_id = recommended_mql.model_id
    left join recommended_sql on with_f.model_id = recommended_sql.model_id

)

select * from final
