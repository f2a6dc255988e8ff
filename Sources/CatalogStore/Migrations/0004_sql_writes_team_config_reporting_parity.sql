-- ModelCatalog schema, version 4:
-- 1. A plain SQL INSERT with the columns a person writes (id, tenant_id, model_name,
--    litellm_params, model_info) works: `source` defaults to 'sql', meaning "written with SQL".
-- 2. Config models with model_info.team_id, loaded before version 4 without a tenant, become that
--    team's models (the access policy's rule for config entries); when the team does not exist,
--    their config hash is forgotten so that the next load applies the entry again and names the
--    missing team.
-- 3. reporting.deployments agrees with GET /model/info (Catalog.ModelInfoEnrichment): the
--    deployment's model_info wins over litellm_params, which wins over the cost map; negative
--    cost-map prices are unknown (NULL); the provider is model_info's, else the cost map's, else
--    the litellm_params.model prefix, else openai. A test compares every row with the API.

ALTER TABLE models DROP CONSTRAINT models_source_check;
ALTER TABLE models ADD CONSTRAINT models_source_check CHECK (source IN ('config', 'api', 'sql'));
ALTER TABLE models ALTER COLUMN source SET DEFAULT 'sql';

UPDATE models m SET tenant_id = m.model_info ->> 'team_id'
WHERE m.source = 'config' AND m.tenant_id IS NULL AND jsonb_typeof(m.model_info -> 'team_id') = 'string'
  AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = m.model_info ->> 'team_id');
UPDATE models m SET config_hash = NULL
WHERE m.source = 'config' AND m.tenant_id IS NULL AND jsonb_typeof(m.model_info -> 'team_id') = 'string';

DROP VIEW reporting.tenant_summary;
DROP VIEW reporting.deployments;

-- A JSON number (or a numeric string) as numeric; anything else NULL, never an error.
CREATE FUNCTION reporting.number(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::numeric
        WHEN jsonb_typeof(value) = 'string' AND (value #>> '{}') ~ '^\s*-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
            THEN (value #>> '{}')::numeric
    END
$$;

-- A JSON string's text; NULL for JSON null, a missing key or another type.
CREATE FUNCTION reporting.text(value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' END
$$;

-- The value model_info shows for a price: the deployment's model_info, else its litellm_params,
-- else the cost map's (negative there means unknown).
CREATE FUNCTION reporting.price(model_info jsonb, litellm_params jsonb, entry jsonb, name text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(reporting.number(nullif(model_info -> name, 'null')),
                    reporting.number(nullif(litellm_params -> name, 'null')),
                    CASE WHEN reporting.number(entry -> name) >= 0 THEN reporting.number(entry -> name) END)
$$;

CREATE VIEW reporting.deployments AS
SELECT m.id,
       m.model_name,
       m.tenant_id,
       t.alias AS tenant_alias,
       m.source,
       coalesce(m.model_info ->> 'litellm_provider', c.entry ->> 'litellm_provider',
                CASE WHEN strpos(reporting.text(m.litellm_params -> 'model'), '/') > 1
                     THEN split_part(reporting.text(m.litellm_params -> 'model'), '/', 1) END,
                'openai') AS provider,
       coalesce(m.model_info ->> 'mode', c.entry ->> 'mode') AS mode,
       reporting.number(coalesce(nullif(m.model_info -> 'max_input_tokens', 'null'), c.entry -> 'max_input_tokens'))::bigint
           AS context_window,
       reporting.price(m.model_info, m.litellm_params, c.entry, 'input_cost_per_token') AS input_cost_per_token,
       reporting.price(m.model_info, m.litellm_params, c.entry, 'output_cost_per_token') AS output_cost_per_token,
       round(reporting.price(m.model_info, m.litellm_params, c.entry, 'input_cost_per_token') * 1000000, 6) AS input_price_per_1m,
       round(reporting.price(m.model_info, m.litellm_params, c.entry, 'output_cost_per_token') * 1000000, 6) AS output_price_per_1m,
       c.key AS cost_map_key,
       reporting.number(m.litellm_params -> 'tpm')::bigint AS tpm,
       reporting.number(m.litellm_params -> 'rpm')::bigint AS rpm,
       m.litellm_params,
       m.model_info,
       m.created_at,
       m.updated_at
FROM models m
LEFT JOIN tenants t ON t.id = m.tenant_id
-- The cost-map entry, found as Catalog.CostMapLookup finds it: model_info.base_model, then
-- litellm_params.model, then that model without its provider prefix; never sample_spec.
LEFT JOIN LATERAL (
    SELECT cm.key, cm.entry
    FROM (VALUES (1, nullif(reporting.text(m.model_info -> 'base_model'), '')),
                 (2, nullif(reporting.text(m.litellm_params -> 'model'), '')),
                 (3, CASE WHEN strpos(reporting.text(m.litellm_params -> 'model'), '/') > 0
                          THEN nullif(substr(reporting.text(m.litellm_params -> 'model'),
                                             strpos(reporting.text(m.litellm_params -> 'model'), '/') + 1), '') END)
         ) AS candidate (rank, key)
    JOIN cost_map cm ON cm.key = candidate.key
    WHERE candidate.key <> 'sample_spec'
    ORDER BY candidate.rank
    LIMIT 1
) c ON true;

-- Per tenant (tenant_id NULL: the shared models).
CREATE VIEW reporting.tenant_summary AS
SELECT d.tenant_id,
       max(d.tenant_alias) AS tenant_alias,
       count(*) AS deployments,
       count(DISTINCT d.model_name) AS model_groups,
       array_agg(DISTINCT d.provider ORDER BY d.provider) AS providers,
       min(d.input_price_per_1m) AS min_input_price_per_1m,
       max(d.input_price_per_1m) AS max_input_price_per_1m,
       sum(d.tpm) AS tpm,
       sum(d.rpm) AS rpm
FROM reporting.deployments d
GROUP BY d.tenant_id;

ALTER FUNCTION reporting.number(jsonb) OWNER TO catalog_views;
ALTER FUNCTION reporting.text(jsonb) OWNER TO catalog_views;
ALTER FUNCTION reporting.price(jsonb, jsonb, jsonb, text) OWNER TO catalog_views;
ALTER VIEW reporting.deployments OWNER TO catalog_views;
ALTER VIEW reporting.tenant_summary OWNER TO catalog_views;
GRANT SELECT ON reporting.deployments, reporting.tenant_summary TO catalog_reporting, catalog_tenant_reporting;
