{#- What differs between the engines (LEADSCORE_ENGINE: duckdb or spark), dispatched by
    adapter: the models call these and are never forked per engine. -#}

{#- on-run-start: register the tables the pipeline handed to Spark as Parquet (sources are read
    in place; kept tables are copied, since their models change them). Nothing on DuckDB. -#}
{% macro register_handed_in_tables() -%}
    {{ return(adapter.dispatch('register_handed_in_tables', 'leadscore')()) }}
{%- endmacro %}

{% macro default__register_handed_in_tables() -%}
{%- endmacro %}

{% macro spark__register_handed_in_tables() -%}
    {%- for table in fromjson(env_var('LEADSCORE_DBT_SPARK_HAND_IN', '[]')) -%}
        {%- set relation = table['schema'] ~ '.' ~ table['table'] -%}
        {%- do run_query('create schema if not exists ' ~ table['schema']) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- if table['kept'] -%}
            {%- do run_query('create table ' ~ relation ~ ' using parquet as select * from parquet.`' ~ table['path'] ~ '`') -%}
        {%- else -%}
            {%- do run_query('create table ' ~ relation ~ ' using parquet location ' ~ "'" ~ table['path'] ~ "'") -%}
        {%- endif -%}
        {#- dbt listed the catalog before this hook: tell it the table exists. -#}
        {%- do adapter.cache_added(api.Relation.create(schema=table['schema'], identifier=table['table'], type='table')) -%}
    {%- endfor -%}
{%- endmacro %}

{#- Remove the rows of `relation` where `condition` holds. Spark's Parquet tables cannot delete
    rows (that needs Delta Lake or Iceberg): the kept rows are rewritten instead. -#}
{% macro delete_rows(relation, condition) -%}
    {{ return(adapter.dispatch('delete_rows', 'leadscore')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition) -%}
    delete from {{ relation }} where {{ condition }}
{%- endmacro %}

{% macro spark__delete_rows(relation, condition) -%}
    {%- do rewrite_rows(relation, 'select * from ' ~ relation ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
{%- endmacro %}

{#- Spark: replace every row of `relation` by the rows of `select_sql` (which may read it), via
    a scratch copy, since Spark cannot overwrite a table it is reading. -#}
{% macro rewrite_rows(relation, select_sql) -%}
    {%- set scratch = relation ~ '__rewrite' -%}
    {%- do run_query('drop table if exists ' ~ scratch) -%}
    {%- do run_query('create table ' ~ scratch ~ ' using parquet as ' ~ select_sql) -%}
    {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) -%}
    {%- do run_query('drop table ' ~ scratch) -%}
{%- endmacro %}

{#- Integer division of two bigints (DuckDB `//`, Spark `div`). -#}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'leadscore')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}(({{ dividend }}) // ({{ divisor }})){%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}(({{ dividend }}) div ({{ divisor }})){%- endmacro %}

{#- A struct of named expressions (`pairs`: a list of [name, expression]). -#}
{% macro struct_of(pairs) -%}
    {{ return(adapter.dispatch('struct_of', 'leadscore')(pairs)) }}
{%- endmacro %}

{% macro default__struct_of(pairs) -%}
    { {%- for name, expression in pairs %} '{{ name }}': {{ expression }}{{ ',' if not loop.last }}{% endfor %} }
{%- endmacro %}

{% macro spark__struct_of(pairs) -%}
    named_struct({%- for name, expression in pairs %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor -%})
{%- endmacro %}

{#- A struct to order by (max_by by several columns): fields compare in the given order. -#}
{% macro sort_key(expressions) -%}
    {%- set pairs = [] -%}
    {%- for expression in expressions -%}
        {%- do pairs.append(['k' ~ loop.index, expression]) -%}
    {%- endfor -%}
    {{ struct_of(pairs) }}
{%- endmacro %}

{#- string_agg in a given order (`distinct` drops repeated values; then order by the value). -#}
{% macro ordered_string_agg(expression, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'leadscore')(expression, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{#- Spark 4.3 fails to plan a distinct listagg beside another distinct aggregate
    (ClassCastException in ListAgg): distinct values sorted come from collect_set instead. -#}
{% macro spark__ordered_string_agg(expression, separator, order_by, distinct) -%}
    {%- if distinct -%}
        case when count({{ expression }}) > 0 then array_join(array_sort(collect_set({{ expression }})), {{ separator }}) end
    {%- else -%}
        string_agg({{ expression }}, {{ separator }}) within group (order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}

{#- Days from `earlier` to `later` (timestamps), fractional: the same double on both engines
    (whole microseconds, one division). -#}
{% macro age_days(later, earlier) -%}
    {{ return(adapter.dispatch('age_days', 'leadscore')(later, earlier)) }}
{%- endmacro %}

{% macro default__age_days(later, earlier) -%}
    (cast(epoch_us({{ later }}) - epoch_us({{ earlier }}) as double) / 86400000000.0)
{%- endmacro %}

{% macro spark__age_days(later, earlier) -%}
    (cast(unix_micros(cast({{ later }} as timestamp_ltz)) - unix_micros(cast({{ earlier }} as timestamp_ltz)) as double) / 86400000000.0)
{%- endmacro %}

{#- Text to a zone-less UTC timestamp (an offset is applied); null when it is not one. -#}
{% macro parse_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'leadscore')(text)) }}
{%- endmacro %}

{% macro default__parse_timestamp(text) -%}
    try_cast(try_cast({{ text }} as timestamptz) as timestamp)
{%- endmacro %}

{#- The session zone is UTC (profiles.yml): a local timestamp read there is the UTC instant. -#}
{% macro spark__parse_timestamp(text) -%}
    cast(coalesce(
        try_cast({{ text }} as timestamp_ltz),
        try_cast(replace({{ text }}, '/', '-') as timestamp_ltz)
    ) as timestamp_ntz)
{%- endmacro %}

{#- Whether a list holds a value; its n-th item (from 1). -#}
{% macro list_has(list, value) -%}
    {{ return(adapter.dispatch('list_has', 'leadscore')(list, value)) }}
{%- endmacro %}

{% macro default__list_has(list, value) -%}list_contains({{ list }}, {{ value }}){%- endmacro %}

{% macro spark__list_has(list, value) -%}array_contains({{ list }}, {{ value }}){%- endmacro %}

{% macro list_item(list, position) -%}
    {{ return(adapter.dispatch('list_item', 'leadscore')(list, position)) }}
{%- endmacro %}

{% macro default__list_item(list, position) -%}{{ list }}[{{ position }}]{%- endmacro %}

{% macro spark__list_item(list, position) -%}element_at({{ list }}, {{ position }}){%- endmacro %}

{#- A case-insensitive regular expression match (RE2 on DuckDB, Java's regex on Spark: the
    README lists where they differ). -#}
{% macro regex_holds(subject, pattern) -%}
    {{ return(adapter.dispatch('regex_holds', 'leadscore')(subject, pattern)) }}
{%- endmacro %}

{% macro default__regex_holds(subject, pattern) -%}regexp_matches({{ subject }}, {{ pattern }}, 'i'){%- endmacro %}

{% macro spark__regex_holds(subject, pattern) -%}({{ subject }} rlike concat('(?i)', {{ pattern }})){%- endmacro %}

{#- Decay steps of a group, ordered, as a list of {days, percent}; empty when none. -#}
{% macro decay_steps_list(days, percent, condition) -%}
    {{ return(adapter.dispatch('decay_steps_list', 'leadscore')(days, percent, condition)) }}
{%- endmacro %}

{% macro default__decay_steps_list(days, percent, condition) -%}
    coalesce(
        list({{ struct_of([['days', days], ['percent', percent]]) }} order by {{ days }}, {{ percent }})
        filter (where {{ condition }}),
        []
    )
{%- endmacro %}

{% macro spark__decay_steps_list(days, percent, condition) -%}
    array_sort(
        collect_list({{ struct_of([['days', days], ['percent', percent]]) }})
        filter (where {{ condition }})
    )
{%- endmacro %}

{#- The largest percent of the steps an age is strictly over; null when none. -#}
{% macro largest_step_percent(steps, age_days) -%}
    {{ return(adapter.dispatch('largest_step_percent', 'leadscore')(steps, age_days)) }}
{%- endmacro %}

{% macro default__largest_step_percent(steps, age_days) -%}
    list_max(list_transform(
        list_filter({{ steps }}, lambda step: {{ age_days }} > step.days),
        lambda step: step.percent
    ))
{%- endmacro %}

{% macro spark__largest_step_percent(steps, age_days) -%}
    array_max(transform(
        filter({{ steps }}, step -> {{ age_days }} > step.days),
        step -> step.percent
    ))
{%- endmacro %}

{#- A seed row's position in its file (dbt inserts seed rows in file order). -#}
{% macro seed_file_order() -%}
    {{ return(adapter.dispatch('seed_file_order', 'leadscore')()) }}
{%- endmacro %}

{% macro default__seed_file_order() -%}rowid{%- endmacro %}

{#- Spark: the seed loader writes each batch as one file in file order (spark__load_csv_rows). -#}
{% macro spark__seed_file_order() -%}monotonically_increasing_id(){%- endmacro %}

{#- A whole row of `alias` as JSON text, nulls included. -#}
{% macro row_json(alias) -%}
    {{ return(adapter.dispatch('row_json', 'leadscore')(alias)) }}
{%- endmacro %}

{% macro default__row_json(alias) -%}cast(to_json({{ alias }}) as string){%- endmacro %}

{% macro spark__row_json(alias) -%}to_json(struct({{ alias }}.*), map('ignoreNullFields', 'false')){%- endmacro %}

{#- Spark seeds: dbt-spark's session cursor pastes each value between quotes unescaped (a quote
    in a rule value breaks the insert) and writes an empty cell as 'None'. Here every value is a
    Spark string literal with its backslashes and quotes escaped, and an empty cell is null, so
    a rule value is data whatever it holds. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            {#- One partition, so one file in file order (stg_stage_exclusions reads it). -#}
            insert into {{ this.render() }} select /*+ coalesce(1) */ * from values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set column = agate_table.column_names[loop.index0] -%}
                    {%- set type = column_override.get(column, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {{- ', ' if not loop.last -}}
                {%- endfor -%})
                {{- ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{#- A JSON object of named expressions (`pairs`: a list of [name, expression]), nulls included
    and instants written as DuckDB writes them. -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'leadscore')(pairs)) }}
{%- endmacro %}

{% macro default__json_object(pairs) -%}
    cast(to_json({{ struct_of(pairs) }}) as string)
{%- endmacro %}

{% macro spark__json_object(pairs) -%}
    to_json(
        {{ struct_of(pairs) }},
        map('ignoreNullFields', 'false', 'timestampNTZFormat', 'yyyy-MM-dd HH:mm:ss[.SSSSSS]')
    )
{%- endmacro %}
