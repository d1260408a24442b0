-- One row: a fingerprint of every scoring seed, so state kept across runs knows the rules changed.
{%- set scoring_seeds = [
    'scoring_models', 'scoring_rules', 'rule_conditions', 'score_decay',
    'score_thresholds', 'score_bands', 'stage_exclusions', 'feedback_rules',
] %}
with

seed_rows as (

    {% for seed in scoring_seeds %}
        select
            '{{ seed }}' as seed_name,
            {{ row_json('s') }} as seed_row
        from {{ ref(seed) }} as s
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        md5({{ ordered_string_agg("seed_name || ':' || seed_row", 'chr(10)', 'seed_name, seed_row') }})
            as rule_set_version
    from seed_rows

)

select * from final
