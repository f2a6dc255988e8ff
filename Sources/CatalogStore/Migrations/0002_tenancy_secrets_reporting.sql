-- ModelCatalog schema, version 2: sealed secrets, key lifetimes, and SQL reporting with
-- row-level security for tenants.

-- Literal secret values of litellm_params, sealed by the service with AES-GCM (the key never
-- reaches the database). litellm_params itself keeps "********" where a sealed value belongs.
CREATE TABLE model_secrets (
    model_id    text PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
    sealed      bytea NOT NULL,                             -- AES-GCM combined: nonce | ciphertext | tag
    key_id      text NOT NULL,                              -- which key sealed it (a digest, not the key)
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Roles of plain-SQL readers. Role names are cluster-wide: tolerate another database (or a
-- concurrent migration) having created them already.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['catalog_reporting', 'catalog_tenant_reporting', 'catalog_views'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$$;

-- catalog_views owns the reporting views: it reads the catalog tables (never the sealed secrets
-- nor the API keys) and, not owning them, is subject to their row-level security.
GRANT SELECT ON models, tenants, cost_map TO catalog_views;

ALTER TABLE models ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;

-- Through the views, catalog_reporting sees every row; catalog_tenant_reporting sees the rows of
-- the tenant named by `SET catalog.tenant_id = 'x'` and the shared ones, and nothing without it.
-- The service owns the tables and is not subject to these policies.
CREATE POLICY reporting_models ON models FOR SELECT TO catalog_views USING (
    NOT pg_has_role(current_user, 'catalog_tenant_reporting', 'MEMBER')
    OR (coalesce(current_setting('catalog.tenant_id', true), '') <> ''
        AND (tenant_id IS NULL OR tenant_id = current_setting('catalog.tenant_id', true)))
);
CREATE POLICY reporting_tenants ON tenants FOR SELECT TO catalog_views USING (
    NOT pg_has_role(current_user, 'catalog_tenant_reporting', 'MEMBER')
    OR (coalesce(current_setting('catalog.tenant_id', true), '') <> ''
        AND id = current_setting('catalog.tenant_id', true))
);

CREATE SCHEMA reporting;
GRANT USAGE, CREATE ON SCHEMA reporting TO catalog_views;
GRANT USAGE ON SCHEMA reporting TO catalog_reporting, catalog_tenant_reporting;

-- A price per token as a price per million tokens; negative prices mean unknown.
CREATE FUNCTION reporting.per_million(price text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN price ~ '^-?[0-9.eE+-]+$' AND price::numeric >= 0 THEN round(price::numeric * 1000000, 6) END
$$;

-- One row per deployment. litellm_params holds no secret (sealed values show as "********").
-- The cost-map entry is found as the service finds it (Catalog.CostMapLookup): base_model, then
-- litellm_params.model, then the model without its provider prefix; the deployment's own values win.
CREATE VIEW reporting.deployments AS
SELECT m.id,
       m.model_name,
       m.tenant_id,
       t.alias AS tenant_alias,
       m.source,
       coalesce(nullif(split_part(m.litellm_params ->> 'model', '/', 1), m.litellm_params ->> 'model'),
                c.entry ->> 'litellm_provider', 'openai') AS provider,
       coalesce(m.model_info ->> 'mode', c.entry ->> 'mode') AS mode,
       coalesce(m.model_info ->> 'max_input_tokens', c.entry ->> 'max_input_tokens')::numeric::bigint AS context_window,
       reporting.per_million(coalesce(m.litellm_params ->> 'input_cost_per_token', m.model_info ->> 'input_cost_per_token',
                                      c.entry ->> 'input_cost_per_token')) AS input_price_per_1m,
       reporting.per_million(coalesce(m.litellm_params ->> 'output_cost_per_token', m.model_info ->> 'output_cost_per_token',
                                      c.entry ->> 'output_cost_per_token')) AS output_price_per_1m,
       c.key AS cost_map_key,
       (m.litellm_params ->> 'tpm')::numeric::bigint AS tpm,
       (m.litellm_params ->> 'rpm')::numeric::bigint AS rpm,
       m.litellm_params,
       m.model_info,
       m.created_at,
       m.updated_at
FROM models m
LEFT JOIN tenants t ON t.id = m.tenant_id
LEFT JOIN LATERAL (
    SELECT cm.key, cm.entry
    FROM (VALUES (1, m.model_info ->> 'base_model'),
                 (2, m.litellm_params ->> 'model'),
                 (3, nullif(substr(m.litellm_params ->> 'model', strpos(m.litellm_params ->> 'model', '/') + 1), ''))
         ) AS candidate (rank, key)
    JOIN cost_map cm ON cm.key = candidate.key
    ORDER BY candidate.rank
    LIMIT 1
) c ON true;

CREATE VIEW reporting.cost_map AS
SELECT key,
       entry ->> 'litellm_provider' AS provider,
       entry ->> 'mode' AS mode,
       (entry ->> 'max_input_tokens')::numeric::bigint AS max_input_tokens,
       (entry ->> 'max_output_tokens')::numeric::bigint AS max_output_tokens,
       reporting.per_million(entry ->> 'input_cost_per_token') AS input_price_per_1m,
       reporting.per_million(entry ->> 'output_cost_per_token') AS output_price_per_1m,
       entry
FROM cost_map;

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

ALTER FUNCTION reporting.per_million(text) OWNER TO catalog_views;
ALTER VIEW reporting.deployments OWNER TO catalog_views;
ALTER VIEW reporting.cost_map OWNER TO catalog_views;
ALTER VIEW reporting.tenant_summary OWNER TO catalog_views;
GRANT SELECT ON reporting.deployments, reporting.cost_map, reporting.tenant_summary
    TO catalog_reporting, catalog_tenant_reporting;

-- Values only the service reads. config_hash_pepper keys the digests of config entries
-- (models.config_hash), which may contain secrets: a bare hash of a low-entropy secret could be
-- guessed offline, a keyed one cannot without this row.
CREATE TABLE service_settings (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
INSERT INTO service_settings (name, value)
VALUES ('config_hash_pepper', gen_random_uuid()::text || gen_random_uuid()::text);
