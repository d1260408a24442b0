{#-
  The (model_id, owner_id, contact_id) triples where every condition of an owner (a rule, a
  population or an exclusion) holds. A condition holds when its default outcome is true and no
  exception flips it, or its default is false and an exception flips it. Contacts come from
  `universe` (model_id, contact_id); only the sparse exceptions are scanned per contact.
-#}
{% macro matching_contacts(owner_kind, universe) -%}
    (
        with

        owner_conditions as (

            select
                owner_id,
                model_id,
                count(*) filter (where not default_outcome) as conditions_needing_evidence
            from {{ ref('int_conditions') }}
            where owner_kind = '{{ owner_kind }}'
            group by owner_id, model_id

        ),

        evidence as (

            select
                conditions.owner_id,
                conditions.model_id,
                exceptions.contact_id,
                count(*) filter (where not conditions.default_outcome) as conditions_proven,
                count(*) filter (where conditions.default_outcome) as conditions_broken
            from {{ ref('int_condition_exceptions') }} as exceptions
            inner join {{ ref('int_conditions') }} as conditions
                on exceptions.condition_id = conditions.condition_id
            where conditions.owner_kind = '{{ owner_kind }}'
            group by conditions.owner_id, conditions.model_id, exceptions.contact_id

        ),

        proven as (

            select
                evidence.model_id,
                evidence.owner_id,
                evidence.contact_id
            from evidence
            inner join owner_conditions
                on
                    evidence.owner_id = owner_conditions.owner_id
                    and evidence.model_id = owner_conditions.model_id
            where
                owner_conditions.conditions_needing_evidence > 0
                and evidence.conditions_proven = owner_conditions.conditions_needing_evidence
                and evidence.conditions_broken = 0

        ),

        unbroken as (

            select
                universe.model_id,
                owner_conditions.owner_id,
                universe.contact_id
            from {{ universe }} as universe
            inner join owner_conditions on universe.model_id = owner_conditions.model_id
            where owner_conditions.conditions_needing_evidence = 0
            and not exists (
                select 1
                from evidence
                where
                    evidence.owner_id = owner_conditions.owner_id
                    and evidence.model_id = owner_conditions.model_id
                    and evidence.contact_id = universe.contact_id
                    and evidence.conditions_broken > 0
            )

        )

        select proven.* from proven
        inner join {{ universe }} as universe
            on proven.model_id = universe.model_id and proven.contact_id = universe.contact_id
        union all
        select * from unbroken

    )
{%- endmacro %}
