{#- Points are exact decimals: each contribution is rounded half away from zero to 2 places. -#}
{% macro round_points(expr) -%}
    cast(round(cast({{ expr }} as decimal(38, 9)), 2) as decimal(18, 2))
{%- endmacro %}

{#- Limit a value to +/- limit (a blank limit means no cap). -#}
{% macro cap_abs(expr, limit) -%}
    case
        when {{ limit }} is null then {{ expr }}
        when abs({{ expr }}) > abs({{ limit }}) then sign({{ expr }}) * abs({{ limit }})
        else {{ expr }}
    end
{%- endmacro %}
