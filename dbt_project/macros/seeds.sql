{#- An optional seed column (orchestration/rules/schema.py OPTIONAL_SEED_COLUMNS): a file may
    lack it (files written before it existed), and a seed table has its file's columns only
    (dbt_project.yml re-creates the seed tables every build). Renders the column when the seed
    table has it, else a null of `data_type`; the staging model then applies its default. -#}
{% macro optional_seed_column(seed_relation, column, data_type=none) -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for existing in adapter.get_columns_in_relation(seed_relation) -%}
            {%- if existing.name | lower == column | lower -%}
                {%- do present.append(existing.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if present -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ data_type or 'string' }})
    {%- endif -%}
{%- endmacro %}
