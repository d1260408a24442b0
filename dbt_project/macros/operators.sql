{#-
  Whether a rule operator holds for one subject value. The operator and the rule's value are
  columns (rules are data, never SQL text). `subject` is the trimmed text (null = not set).
  Negative operators hold on an unset subject; every other operator but is_not_set fails there.
-#}
{% macro operator_holds(operator, condition_value, condition_value_norm, condition_values, subject) -%}
    coalesce(
        case {{ operator }}
            when 'eq' then lower({{ subject }}) = {{ condition_value_norm }}
            when 'neq' then lower({{ subject }}) is distinct from {{ condition_value_norm }}
            when 'in' then list_contains({{ condition_values }}, lower({{ subject }}))
            when 'not_in' then {{ subject }} is null or not list_contains({{ condition_values }}, lower({{ subject }}))
            when 'contains' then contains(lower({{ subject }}), {{ condition_value_norm }})
            when 'not_contains' then {{ subject }} is null or not contains(lower({{ subject }}), {{ condition_value_norm }})
            when 'starts_with' then starts_with(lower({{ subject }}), {{ condition_value_norm }})
            when 'ends_with' then ends_with(lower({{ subject }}), {{ condition_value_norm }})
            when 'regex' then regexp_matches({{ subject }}, {{ condition_value }}, 'i')
            when 'gt' then try_cast({{ subject }} as double) > try_cast({{ condition_value }} as double)
            when 'gte' then try_cast({{ subject }} as double) >= try_cast({{ condition_value }} as double)
            when 'lt' then try_cast({{ subject }} as double) < try_cast({{ condition_value }} as double)
            when 'lte' then try_cast({{ subject }} as double) <= try_cast({{ condition_value }} as double)
            when 'between' then
                try_cast({{ subject }} as double)
                between try_cast({{ condition_values }}[1] as double)
                and try_cast({{ condition_values }}[2] as double)
            when 'is_set' then {{ subject }} is not null
            when 'is_not_set' then {{ subject }} is null
            when 'any' then true
        end,
        false
    )
{%- endmacro %}

{#- The operators that hold when the subject is not set. -#}
{% macro holds_when_unset(operator) -%}
    ({{ operator }} in ('neq', 'not_in', 'not_contains', 'is_not_set', 'any'))
{%- endmacro %}

{#-
  Decay multiplier of an activity of a given age: every applicable half-life multiplies
  (0.5 ^ (age * sum of 1/days)), and the largest applicable step (age strictly over its days)
  takes its percent off.
-#}
{% macro decay_factor(age_days, half_life_rate, steps) -%}
    (
        coalesce(power(0.5, {{ age_days }} * {{ half_life_rate }}), 1.0)
        * (1.0 - coalesce(
            list_max(list_transform(
                list_filter({{ steps }}, lambda step: {{ age_days }} > step.days),
                lambda step: step.percent
            )),
            0.0
        ) / 100.0)
    )
{%- endmacro %}

{% macro age_days(as_of_expr, occurred_at) -%}
    ((epoch({{ as_of_expr }}) - epoch({{ occurred_at }})) / 86400.0)
{%- endmacro %}
