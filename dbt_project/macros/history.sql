{#- Whether this build computes a past instant for `leadscore backfill` (history only: no
    memory written, no alerts, nothing quarantined), from LEADSCORE_DBT_RUN_KIND, which
    orchestration/config.py sets for dbt's process; a hand-run `dbt build` is a normal run. -#}
{% macro is_backfill() -%}
    {{- return(env_var('LEADSCORE_DBT_RUN_KIND', 'run') == 'backfill') -}}
{%- endmacro %}

{#- How far a total must move before score_history records a new row
    (LEADSCORE_HISTORY_MIN_DELTA, checked by orchestration/config.py; default 1.0). -#}
{% macro history_min_delta() -%}
    {%- set value = env_var('LEADSCORE_DBT_HISTORY_MIN_DELTA', '1.0') -%}
    {%- if not modules.re.match('^[0-9]+([.][0-9]+)?$', value | string) -%}
        {{ exceptions.raise_compiler_error("LEADSCORE_DBT_HISTORY_MIN_DELTA must be a number >= 0, got: " ~ value) }}
    {%- endif -%}
    cast({{ value }} as decimal(18, 2))
{%- endmacro %}

{#- The one decimal type of points in every published table. -#}
{% macro points_type() -%}
    decimal(18, 2)
{%- endmacro %}

{#- Post-hook of a change log with valid_from/valid_to: each row of a contact touched at this
    as-of (a new row, or a row whose period ended here before a re-run) ends where the
    contact's next row starts. Only those contacts' rows are read: the cost follows the
    changes of this instant, not the length of the history. -#}
{% macro close_validity_periods(relation) -%}
    {{ return(adapter.dispatch('close_validity_periods', 'leadscore')(relation)) }}
{%- endmacro %}

{% macro default__close_validity_periods(relation) -%}
    update {{ relation }} as history
    set valid_to = following.next_valid_from
    from (
        select
            model_id,
            contact_id,
            valid_from,
            lead(valid_from) over (
                partition by model_id, contact_id order by valid_from
            ) as next_valid_from
        from {{ relation }}
        where (model_id, contact_id) in (
            select touched.model_id, touched.contact_id
            from {{ relation }} as touched
            where touched.valid_from = {{ as_of() }} or touched.valid_to = {{ as_of() }}
        )
    ) as following
    where
        history.model_id = following.model_id
        and history.contact_id = following.contact_id
        and history.valid_from = following.valid_from
        and history.valid_to is distinct from following.next_valid_from
{%- endmacro %}

{#- Spark cannot update rows in place: the table is rewritten with every period closed (the
    same periods: the update keeps each row's valid_to equal to its contact's next valid_from). -#}
{% macro spark__close_validity_periods(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- if column == 'valid_to' -%}
            {%- do select_list.append('lead(valid_from) over (partition by model_id, contact_id order by valid_from) as valid_to') -%}
        {%- else -%}
            {%- do select_list.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do rewrite_rows(relation, 'select ' ~ select_list | join(', ') ~ ' from ' ~ relation) -%}
{%- endmacro %}

{#- Pre-hook of a table kept across runs: re-computing an instant first forgets what an
    earlier computation of it wrote (also when this one writes no row at all). -#}
{% macro forget_instant(relation, column) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(relation, column ~ ' = ' ~ as_of()) }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of int_sticky_stages: the sticky policy only reads the last published instant
    before a run, so anything older is forgotten (a backfill's scratch memory keeps all). -#}
{% macro forget_older_stage_memory(relation) -%}
    {%- if not is_backfill() -%}
        {{ delete_rows(relation, 'as_of < (select max(published.as_of) from '
            ~ source('ops', 'publish_log') ~ ' as published where published.as_of < '
            ~ as_of() ~ ')') }}
    {%- endif -%}
{%- endmacro %}
