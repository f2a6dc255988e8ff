-- ModelCatalog schema, version 1: tenants, models, cost map, API keys and the change log.
-- Applied by the migration runner in one transaction; never edit an applied migration, add one.

CREATE TABLE tenants (
    id          text PRIMARY KEY CHECK (id <> ''),          -- LiteLLM's team_id
    alias       text,                                       -- team_alias
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text
);

-- One row per deployment. litellm_params holds no literal secret: those are sealed elsewhere.
CREATE TABLE models (
    id              text PRIMARY KEY CHECK (id <> ''),      -- model_info.id
    tenant_id       text REFERENCES tenants (id),           -- NULL: shared by every tenant
    model_name      text NOT NULL CHECK (model_name <> ''), -- the public name, as the user gave it
    litellm_params  jsonb NOT NULL CHECK (jsonb_typeof(litellm_params) = 'object' AND litellm_params ? 'model'),
    model_info      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(model_info) = 'object'),
    version         bigint NOT NULL DEFAULT 1,              -- optimistic concurrency
    source          text NOT NULL CHECK (source IN ('config', 'api')),
    config_hash     text,                                   -- the config entry last applied (source config)
    ordinal         bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- listing order: the order models arrived
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text
);
CREATE INDEX models_tenant_name_idx ON models (tenant_id, model_name);
CREATE INDEX models_name_idx ON models (model_name);

-- Config models deleted through the API: a restart with an unchanged config entry must not bring
-- them back (see README, "Config and the API").
CREATE TABLE config_tombstones (
    id          text PRIMARY KEY,
    config_hash text NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    deleted_by  text
);

-- LiteLLM's model_prices_and_context_window.json, one row per key.
CREATE TABLE cost_map (
    key         text PRIMARY KEY,
    entry       jsonb NOT NULL CHECK (jsonb_typeof(entry) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: only a SHA-256 hash of each key is kept, never its text.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key_hash    bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    key_alias   text,
    role        text NOT NULL CHECK (role IN ('admin', 'tenant_admin', 'tenant_member')),
    tenant_id   text REFERENCES tenants (id),
    models      text[],                                     -- allow-list of model names; NULL: all
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    CHECK ((role = 'admin') = (tenant_id IS NULL))
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- The append-only change log. Every write to the tables above, through the API or with plain
-- SQL, appends here and notifies the new seq in the same transaction, so every replica learns of it.
CREATE TABLE changes (
    seq         bigserial PRIMARY KEY,
    entity      text NOT NULL,                              -- model | tenant | cost_map | api_key
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
    entity_id   text,                                       -- NULL for statement-level changes
    tenant_id   text,
    actor       text,                                       -- set by the service: SET LOCAL catalog.actor
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION catalog_log_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    record_json jsonb;
    new_seq     bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        record_json := to_jsonb(OLD);
    ELSE
        record_json := to_jsonb(NEW);
    END IF;
    INSERT INTO changes (entity, op, entity_id, tenant_id, actor)
    VALUES (TG_ARGV[0], lower(TG_OP), record_json ->> 'id', record_json ->> 'tenant_id',
            nullif(current_setting('catalog.actor', true), ''))
    RETURNING seq INTO new_seq;
    PERFORM pg_notify('catalog_changes', new_seq::text);
    RETURN NULL;
END
$$;

-- The cost map changes in bulk (thousands of rows per import): one entry per statement.
CREATE FUNCTION catalog_log_statement_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_seq bigint;
BEGIN
    INSERT INTO changes (entity, op, actor)
    VALUES (TG_ARGV[0], lower(TG_OP), nullif(current_setting('catalog.actor', true), ''))
    RETURNING seq INTO new_seq;
    PERFORM pg_notify('catalog_changes', new_seq::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER models_log AFTER INSERT OR UPDATE OR DELETE ON models
    FOR EACH ROW EXECUTE FUNCTION catalog_log_row_change('model');
CREATE TRIGGER tenants_log AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION catalog_log_row_change('tenant');
CREATE TRIGGER api_keys_log AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION catalog_log_row_change('api_key');
CREATE TRIGGER cost_map_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cost_map
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_log_statement_change('cost_map');
CREATE TRIGGER models_truncate_log AFTER TRUNCATE ON models
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_log_statement_change('model');
