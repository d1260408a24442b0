-- One row per contact (latest record): the contact attributes BI tools and alerts join to.
with

contacts as (

    select * from {{ ref('stg_contacts') }}

),

final as (

    select
        contact_id,
        email,
        first_name,
        last_name,
        job_title,
        company,
        industry,
        employee_count,
        country,
        original_source,
        lifecycle_stage,
        email_opt_out,
        hubspot_id,
        salesforce_id,
        created_at,
        updated_at
    from contacts

)

select * from final
