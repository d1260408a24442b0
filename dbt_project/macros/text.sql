{#- Text helpers: the contract trims spaces, tabs, CR/LF and U+3000 and compares case-insensitively. -#}

{% macro clean_text(expr) -%}
    nullif(trim(cast({{ expr }} as varchar), ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
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
