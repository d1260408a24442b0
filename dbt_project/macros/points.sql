{#- Points are exact decimals: each contribution is rounded half away from zero to 2 places. -#}
{% macro round_points(expr) -%}
    cast(round(cast({{ expr }} as decimal(38, 9)), 2) as decimal(18, 2))
{%- endmacro %}

{#- Limit a value to +/- limit (a blank limit means no cap). A case, not sign(): Spark's sign()
    is a double, and points stay exact decimals. -#}
{% macro cap_abs(expr, limit) -%}
    case
        when {{ limit }} is null then {{ expr }}
        when abs({{ expr }}) > abs({{ limit }}) and {{ expr }} < 0 then -abs({{ limit }})
        when abs({{ expr }}) > abs({{ limit }}) then abs({{ limit }})
        else {{ expr }}
    end
{%- endmacro %}

{#- The mean of points (exact decimals), rounded half away from zero to 2 places, in integer
    cents: a double division could round 12.345 down. -#}
{% macro mean_points(points_expr) -%}
    {%- set cents = 'cast(sum(' ~ points_expr ~ ') * 100 as bigint)' -%}
    cast(
        cast(
            (case when {{ cents }} < 0 then -1 else 1 end) * {{ integer_divide('2 * abs(' ~ cents ~ ') + count(' ~ points_expr ~ ')', '2 * count(' ~ points_expr ~ ')') }}
            as decimal(18, 0)
        ) * cast(0.01 as decimal(3, 2))
        as decimal(18, 2)
    )
{%- endmacro %}

{#- Points as text without trailing zeros: 50.00 -> 50, -69.15 -> -69.15, 2.50 -> 2.5. -#}
{% macro plain_points(expr) -%}
    regexp_replace(cast(cast({{ expr }} as decimal(18, 2)) as string), '[.]?0+$', '')
{%- endmacro %}

{#- Whether a score falls in a band of stg_score_bands: min_score inclusive, max_score
    exclusive, a blank bound open. -#}
{% macro in_band(score, bands) -%}
    ({{ bands }}.min_score is null or {{ score }} >= {{ bands }}.min_score)
    and ({{ bands }}.max_score is null or {{ score }} < {{ bands }}.max_score)
{%- endmacro %}

{#- Sums of activity `value` are exact decimals: a double sum depends on the order of its terms,
    which differs between runs and engines, and trend and sum conditions compare it exactly. -#}
{% macro value_sum_type() -%}
    decimal(38, 6)
{%- endmacro %}
