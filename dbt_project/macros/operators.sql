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
            when 'in' then {{ list_has(condition_values, 'lower(' ~ subject ~ ')') }}
            when 'not_in' then {{ subject }} is null or not {{ list_has(condition_values, 'lower(' ~ subject ~ ')') }}
            when 'contains' then contains(lower({{ subject }}), {{ condition_value_norm }})
            when 'not_contains' then {{ subject }} is null or not contains(lower({{ subject }}), {{ condition_value_norm }})
            when 'starts_with' then left(lower({{ subject }}), length({{ condition_value_norm }})) = {{ condition_value_norm }}
            when 'ends_with' then right(lower({{ subject }}), length({{ condition_value_norm }})) = {{ condition_value_norm }}
            when 'regex' then {{ regex_holds(subject, condition_value) }}
            when 'gt' then try_cast({{ subject }} as double) > try_cast({{ condition_value }} as double)
            when 'gte' then try_cast({{ subject }} as double) >= try_cast({{ condition_value }} as double)
            when 'lt' then try_cast({{ subject }} as double) < try_cast({{ condition_value }} as double)
            when 'lte' then try_cast({{ subject }} as double) <= try_cast({{ condition_value }} as double)
            when 'between' then
                try_cast({{ subject }} as double)
                between try_cast({{ list_item(condition_values, 1) }} as double)
                and try_cast({{ list_item(condition_values, 2) }} as double)
            {#- Dates relative to the as-of: the value is a number of days; an unparseable
                date holds for none of them (ops.quarantine lists it). -#}
            when 'older_than_days' then {{ days_since(subject) }} > try_cast({{ condition_value }} as double)
            when 'newer_than_days' then
                {{ days_since(subject) }} between 0 and try_cast({{ condition_value }} as double)
            when 'within_next_days' then
                -{{ days_since(subject) }} between 0 and try_cast({{ condition_value }} as double)
            when 'later_than_days' then -{{ days_since(subject) }} > try_cast({{ condition_value }} as double)
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
            {{ largest_step_percent(steps, age_days) }},
            0.0
        ) / 100.0)
    )
{%- endmacro %}

{#- Days from a date or timestamp property (text) to the as-of: positive in the past, negative in
    the future; null when the text is not a date. A zone-less value is UTC, as the loader reads
    timestamps (orchestration/ingest/reading.py). -#}
{% macro days_since(text) -%}
    {{ age_days(as_of(), parse_timestamp(text)) }}
{%- endmacro %}

{#-
  Whether an activity condition holds for one contact's hits row (int_activity_condition_hits).
  The measure is the count of matching activities in the window, or with aggregate `sum` the
  sum of their `value`. A plain condition bounds the measure. A trend compares the measure per
  day in the window with the measure per day in the baseline_days before it: it holds when the
  change is at least change_percent (a rise, > 0) or at most it (a fall, < 0). An empty
  baseline (0 or less) has no rate to fall from: a rise from it holds when the window has any,
  a fall never does. Compared exactly, cross-multiplied in decimals (no division).
-#}
{% macro activity_condition_holds(conditions, hits) -%}
    {%- set measure -%}
        case when {{ conditions }}.aggregate = 'sum' then {{ hits }}.value_sum
        else {{ hits }}.activity_count end
    {%- endset -%}
    {%- set baseline -%}
        case when {{ conditions }}.aggregate = 'sum' then {{ hits }}.baseline_value_sum
        else {{ hits }}.baseline_count end
    {%- endset -%}
    {%- set window_side -%}
        cast({{ measure }} as decimal(30, 4)) * cast({{ conditions }}.baseline_days as decimal(30, 4)) * 100
    {%- endset -%}
    {%- set baseline_side -%}
        cast({{ baseline }} as decimal(30, 4)) * cast({{ conditions }}.window_days as decimal(30, 4))
        * (100 + cast({{ conditions }}.change_percent as decimal(30, 4)))
    {%- endset -%}
    coalesce(
        case
            when {{ conditions }}.baseline_days is not null then
                case
                    when {{ baseline }} <= 0
                        then {{ conditions }}.change_percent > 0 and {{ measure }} > 0
                    when {{ conditions }}.change_percent > 0
                        then {{ window_side }} >= {{ baseline_side }}
                    else {{ window_side }} <= {{ baseline_side }}
                end
            when {{ conditions }}.aggregate = 'sum' then
                coalesce({{ hits }}.value_sum >= {{ conditions }}.min_sum, true)
                and coalesce({{ hits }}.value_sum <= {{ conditions }}.max_sum, true)
            else
                {{ hits }}.activity_count >= {{ conditions }}.min_count
                and coalesce({{ hits }}.activity_count <= {{ conditions }}.max_count, true)
        end,
        false
    )
{%- endmacro %}

{#- The activity columns of int_conditions for a property-only condition (a population or an
    exclusion): none of them applies. -#}
{% macro no_activity_columns() -%}
    cast(null as double) as window_days,
    cast(null as bigint) as min_count,
    cast(null as bigint) as max_count,
    'count' as aggregate,
    cast(null as double) as min_sum,
    cast(null as double) as max_sum,
    cast(null as double) as baseline_days,
    cast(null as double) as change_percent
{%- endmacro %}
