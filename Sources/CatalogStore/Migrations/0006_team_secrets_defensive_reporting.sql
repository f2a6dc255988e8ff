-- ModelCatalog schema, version 6:
-- 1. Literal secrets of a team's metadata are sealed by the service like a model's
--    (tenant_secrets); tenants.metadata keeps "********" where a sealed value belongs.
--    Which values are secret is the service's rule (Catalog.Redaction), never restated here.
-- 2. The reporting views never fail on a value written with plain SQL (which the API's
--    validation does not see): a number too long or too large to convert, or an integer out of
--    bigint's range, is NULL (unknown), like a value of the wrong type already was.

CREATE TABLE tenant_secrets (
    tenant_id   text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    sealed      bytea NOT NULL,                             -- AES-GCM combined: nonce | ciphertext | tag
    key_id      text NOT NULL,                              -- which key sealed it (a digest, not the key)
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A JSON number, or a numeric string of at most 64 characters with an exponent of at most four
-- digits (so that the conversion cannot overflow numeric), as numeric; anything else NULL.
CREATE OR REPLACE FUNCTION reporting.number(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::numeric
        WHEN jsonb_typeof(value) = 'string' AND length(value #>> '{}') <= 64
             AND (value #>> '{}') ~ '^\s*-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,4})?\s*$'
            THEN (value #>> '{}')::numeric
    END
$$;

-- reporting.number as a bigint (rounded); NULL outside bigint's range.
CREATE FUNCTION reporting.whole(value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(n) < 9000000000000000000 THEN round(n)::bigint END
    FROM (SELECT reporting.number(value) AS n) AS converted
$$;

ALTER FUNCTION reporting.whole(jsonb) OWNER TO catalog_views;

-- The views of version 4, with every bigint through reporting.whole.
CREATE OR REPLACE VIEW reporting.deployments AS
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
       reporting.whole(coalesce(nullif(m.model_info -> 'max_input_tokens', 'null'), c.entry -> 'max_input_tokens'))
           AS context_window,
       reporting.price(m.model_info, m.litellm_params, c.entry, 'input_cost_per_token') AS input_cost_per_token,
       reporting.price(m.model_info, m.litellm_params, c.entry, 'output_cost_per_token') AS output_cost_per_token,
       round(reporting.price(m.model_info, m.litellm_params, c.entry, 'input_cost_per_token') * 1000000, 6) AS input_price_per_1m,
       round(reporting.price(m.model_info, m.litellm_params, c.entry, 'output_cost_per_token') * 1000000, 6) AS output_price_per_1m,
       c.key AS cost_map_key,
       reporting.whole(m.litellm_params -> 'tpm') AS tpm,
       reporting.whole(m.litellm_params -> 'rpm') AS rpm,
       m.litellm_params,
       m.model_info,
       m.created_at,
       m.updated_at
FROM models m
LEFT JOIN tenants t ON t.id = m.tenant_id
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
