{#- The instant every score is computed as of: dbt var `as_of` (a hand-run `dbt build`), else
    LEADSCORE_DBT_AS_OF, which the pipeline sets from the one resolved instant of its run
    (orchestration/config.py `resolve_as_of`; an environment variable, unlike a changed var,
    keeps dbt's partial parsing), else now. -#}
{% macro as_of() -%}
    {%- set value = var('as_of', '') or env_var('LEADSCORE_DBT_AS_OF', '') -%}
    {%- if value -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?$', value | string) -%}
            {{ exceptions.raise_compiler_error("as_of must look like 2026-11-01 or 2026-11-01 09:30:00 (UTC), got: " ~ value) }}
        {%- endif -%}
        cast('{{ value }}' as timestamp)
    {%- else -%}
        cast(date_trunc('second', now()) as timestamp)
    {%- endif -%}
{%- endmacro %}
