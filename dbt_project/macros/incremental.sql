{#- Pre-hook of an incremental model whose rows carry `source_load_seq`, the load of the landing
    file version they came from: when any of those versions is gone (the file was replaced), the
    model cannot be patched row by row, so it is emptied and this run rebuilds it whole. -#}
{% macro forget_if_any_source_file_was_replaced(relation) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(relation, 'exists (select 1 from (select distinct source_load_seq from '
            ~ relation ~ ') as staged where staged.source_load_seq not in (select loaded.load_seq from '
            ~ source('ops', 'loaded_files') ~ ' as loaded))') }}
    {%- endif -%}
{%- endmacro %}

{#- A fingerprint of the loaded files of one landing entity (`entity` is a name from the model's
    own code, never seed data): it changes whenever a file of it is loaded or replaced. -#}
{% macro landing_files_version(entity) -%}
    {#- No loader tables yet (e.g. compiled for the linter on an empty database): no files. -#}
    {%- if not execute or load_relation(source('ops', 'loaded_files')) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set query -%}
        select md5(coalesce({{ ordered_string_agg('cast(load_seq as string)', "','", 'load_seq') }}, ''))
        from {{ source('ops', 'loaded_files') }}
        where entity = '{{ entity }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- True when the incremental model `relation` was built from exactly the landing files of
    `entity` that are loaded now (its rows carry `landing_version`): nothing to rebuild. -#}
{% macro landing_unchanged(relation, entity) -%}
    {%- if not (execute and is_incremental()) -%}{{ return(false) }}{%- endif -%}
    {%- set stored = run_query('select any_value(landing_version) from ' ~ relation) -%}
    {{ return(stored.columns[0].values()[0] == landing_files_version(entity)) }}
{%- endmacro %}

{#- Pre-hook of a model rebuilt only when its landing files changed: empty it, so this run's
    select (the whole model, see `landing_unchanged`) replaces every row. -#}
{% macro empty_unless_landing_unchanged(relation, entity) -%}
    {%- if is_incremental() and not landing_unchanged(relation, entity) -%}
        {{ delete_rows(relation, 'true') }}
    {%- endif -%}
{%- endmacro %}
