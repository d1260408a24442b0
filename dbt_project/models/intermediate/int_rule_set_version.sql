-- One row: a fingerprint of every scoring seed, so state kept across runs knows the rules changed.
with

seed_rows as (

    select
        'scoring_models' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('scoring_models') }} as s
    union all
    select
        'scoring_rules' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('scoring_rules') }} as s
    union all
    select
        'rule_conditions' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('rule_conditions') }} as s
    union all
    select
        'score_decay' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('score_decay') }} as s
    union all
    select
        'score_thresholds' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('score_thresholds') }} as s
    union all
    select
        'score_bands' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('score_bands') }} as s
    union all
    select
        'stage_exclusions' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('stage_exclusions') }} as s
    union all
    select
        'feedback_rules' as seed_name,
        cast(to_json(s) as varchar) as seed_row
    from {{ ref('feedback_rules') }} as s

),

final as (

    select
        md5(string_agg(seed_name || ':' || seed_row, chr(10) order by seed_name, seed_row))
            as rule_set_version
    from seed_rows

)

select * from final
