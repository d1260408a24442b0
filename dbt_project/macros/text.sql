{#- Text helpers: the contract trims spaces, tabs, CR/LF and U+3000 and compares case-insensitively. -#}

{#- Most values need no trimming, and trim() with a character set is several times slower than
    looking at the first and last character: trim only values that start or end with one. -#}
{% macro clean_text(expr) -%}
    {%- set text = 'cast(' ~ expr ~ ' as varchar)' -%}
    {#- A superset test (any control character or space): trim() removes only the five. -#}
    case
        when
            ord({{ text }}) <= 32 or ord({{ text }}) = 12288
            or ord({{ text }}[-1]) <= 32 or ord({{ text }}[-1]) = 12288
            then nullif(trim({{ text }}, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
        else nullif({{ text }}, '')
    end
{%- endmacro %}

{% macro norm_text(expr) -%}
    lower({{ clean_text(expr) }})
{%- endmacro %}

{% macro clean_number(expr) -%}
    try_cast({{ clean_text(expr) }} as double)
{%- endmacro %}

{#- Blank means true, as the contract's `enabled` columns say. -#}
{% macro is_enabled(expr) -%}
    coalesce({{ norm_text(expr) }} not in ('false', 'no', '0', 'n', 'f'), true)
{%- endmacro %}

{#- Split a `a|b` list into trimmed, lowercased items (blank items dropped). -#}
{% macro norm_list(expr) -%}
    list_filter(
        list_transform(string_split(coalesce({{ clean_text(expr) }}, ''), '|'), lambda item: {{ norm_text('item') }}),
        lambda item: item is not null
    )
{%- endmacro %}
