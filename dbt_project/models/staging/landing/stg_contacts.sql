{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ empty_unless_landing_unchanged(this, 'contacts') }}",
    )
}}
-- Materialised, not a view: properties, activities, marts and tests all read it. Rebuilt whole,
-- and only when a contact file was loaded or replaced since the last build (else it is kept).
-- The latest record of each contact wins: newest updated_at, else the later file and row.
with

source as (

    select * from {{ source('raw', 'contacts') }}

),

ranked as (

    select
        source.*,
        row_number() over (
            partition by {{ clean_text('contact_id') }}
            order by updated_at desc nulls last, _load_seq desc, _row_number desc
        ) as record_rank
    from source

),

latest as (

    select * from ranked
    where record_rank = 1

),

properties as (

    select
        _file_path,
        _row_number,
        {{ norm_text('property_header') }} as property_name,
        {{ clean_text('property_value') }} as property_value
    from {{ source('raw', 'contact_properties') }}

),

pivoted as (

    select
        _file_path,
        _row_number,
        max(property_value) filter (where property_name = 'email') as email,
        max(property_value) filter (where property_name = 'first_name') as first_name,
        max(property_value) filter (where property_name = 'last_name') as last_name,
        max(property_value) filter (where property_name = 'job_title') as job_title,
        max(property_value) filter (where property_name = 'company') as company,
        max(property_value) filter (where property_name = 'industry') as industry,
        max(property_value) filter (where property_name = 'employee_count') as employee_count,
        max(property_value) filter (where property_name = 'annual_revenue') as annual_revenue,
        max(property_value) filter (where property_name = 'country') as country,
        max(property_value) filter (where property_name = 'original_source') as original_source,
        max(property_value) filter (where property_name = 'lifecycle_stage') as lifecycle_stage,
        max(property_value) filter (where property_name = 'email_opt_out') as email_opt_out,
        max(property_value) filter (where property_name = 'hubspot_id') as hubspot_id,
        max(property_value) filter (where property_name = 'salesforce_id') as salesforce_id
    from properties
    group by _file_path, _row_number

),

final as (

    select
        {{ clean_text('latest.contact_id') }} as contact_id,
        pivoted.email,
        pivoted.first_name,
        pivoted.last_name,
        pivoted.job_title,
        pivoted.company,
        pivoted.industry,
        try_cast(pivoted.employee_count as double) as employee_count,
        try_cast(pivoted.annual_revenue as double) as annual_revenue,
        pivoted.country,
        pivoted.original_source,
        lower(pivoted.lifecycle_stage) as lifecycle_stage,
        coalesce(lower(pivoted.email_opt_out) in ('true', 'yes', '1', 'y', 't'), false)
            as email_opt_out,
        pivoted.hubspot_id,
        pivoted.salesforce_id,
        latest.created_at,
        latest.updated_at,
        latest._file_path as source_file,
        latest._row_number as source_row_number,
        latest._load_seq as load_seq,
        '{{ landing_files_version('contacts') }}' as landing_version
    from latest
    left join pivoted
        on
            latest._file_path = pivoted._file_path
            and latest._row_number = pivoted._row_number

)

select * from final
{% if landing_unchanged(this, 'contacts') %} where false {% endif %}
