{#- Pre-hook of an incremental model whose rows carry `source_load_seq`, the load of the landing
    file version they came from: when any of those versions is gone (the file was replaced), the
    model cannot be patched row by row, so it is emptied and this run rebuilds it whole. -#}
{% macro forget_if_any_source_file_was_replaced(relation) -%}
    {%- if is_incremental() -%}
        delete from {{ relation }}
        where exists (
            select 1
            from (select distinct source_load_seq from {{ relation }}) as staged
            where staged.source_load_seq not in (
                select loaded.load_seq from {{ source('ops', 'loaded_files') }} as loaded
            )
        )
    {%- endif -%}
{%- endmacro %}
