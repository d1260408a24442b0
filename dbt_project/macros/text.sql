{#- Text helpers: the contract trims spaces, tabs, CR/LF and U+3000 and compares case-insensitively. -#}

{#- Most values need no trimming, and trim() with a character set is several times slower than
    looking at the first and last character: trim only values that start or end with one.
    The characters are the var `trim_codepoints` (dbt_project.yml), which the Python loader
    reads too (orchestration/vocabulary.py renders this same SQL). -#}
{% macro clean_text(expr) -%}
    {{ return(adapter.dispatch('clean_text', 'leadscore')(expr)) }}
{%- endmacro %}

{% macro default__clean_text(expr) -%}
    {%- set text = 'cast(' ~ expr ~ ' as string)' -%}
    {%- set points = var('trim_codepoints') | join(', ') -%}
    {%- set characters = [] -%}
    {%- for point in var('trim_codepoints') -%}
        {%- do characters.append('chr(' ~ point ~ ')') -%}
    {%- endfor -%}
    case
        when ord({{ text }}) in ({{ points }}) or ord({{ text }}[-1]) in ({{ points }})
            then nullif(trim({{ text }}, {{ characters | join(' || ') }}), '')
        else nullif({{ text }}, '')
    end
{%- endmacro %}

{#- Spark's chr() knows only 256 characters: the set is a literal of \u escapes. -#}
{% macro spark__clean_text(expr) -%}
    {%- set characters = [] -%}
    {%- for point in var('trim_codepoints') -%}
        {%- do characters.append('\\u%04x' | format(point)) -%}
    {%- endfor -%}
    nullif(trim(both '{{ characters | join('') }}' from cast({{ expr }} as string)), '')
{%- endmacro %}

{% macro norm_text(expr) -%}
    lower({{ clean_text(expr) }})
{%- endmacro %}

{#- Japanese input methods type full-width digits: full-width 0-9, plus, minus and full stop
    (U+FF10-FF19, U+FF0B, U+FF0D, U+FF0E) and U+2212 MINUS SIGN are read as their ASCII forms.
    `leadscore validate` accepts exactly these (orchestration/rules/numbers.py). -#}
{% macro clean_number(expr) -%}
    try_cast(translate({{ clean_text(expr) }}, '０１２３４５６７８９＋－．−', '0123456789+-.-') as double)
{%- endmacro %}

{#- Blank means true, as the contract's `enabled` columns say. -#}
{% macro is_enabled(expr) -%}
    coalesce({{ norm_text(expr) }} not in ('false', 'no', '0', 'n', 'f'), true)
{%- endmacro %}

{#- Split a `a|b` list into trimmed, lowercased items (blank items dropped). -#}
{% macro norm_list(expr) -%}
    {{ return(adapter.dispatch('norm_list', 'leadscore')(expr)) }}
{%- endmacro %}

{% macro spark__norm_list(expr) -%}
    filter(
        transform(split(coalesce({{ clean_text(expr) }}, ''), '[|]'), item -> {{ norm_text('item') }}),
        item -> item is not null
    )
{%- endmacro %}

{% macro default__norm_list(expr) -%}
    list_filter(
        list_transform(string_split(coalesce({{ clean_text(expr) }}, ''), '|'), lambda item: {{ norm_text('item') }}),
        lambda item: item is not null
    )
{%- endmacro %}
