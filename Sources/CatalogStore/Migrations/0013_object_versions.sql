-- ModelCatalog schema, version 13 (issue 14): every writable object has a version that only grows.
--
-- A version is what an ETag is made of and what If-Match compares (README, "Safe edits"), and
-- `(model_id, version)` is what /model/restore names. So the database assigns it, on every write
-- by any path (the API, config loads, plain SQL): a write that forgot to bump it, or a plain-SQL
-- UPDATE, could otherwise leave a stale ETag matching a changed object. And it never goes back: a
-- deleted object made again under the same id (or name) continues from the last version it had,
-- so an ETag or a history version from before the delete never matches what came after.
--
-- object_versions holds the last version given per (entity, id), deletes included; one small
-- upsert per written row. It outlives the change log's pruning, which history cannot.

CREATE TABLE object_versions (
    entity   text NOT NULL,                               -- model | credential | tenant | api_key
    id       text NOT NULL,                               -- the object's key (a credential: its name)
    version  bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (entity, id)
);

ALTER TABLE tenants  ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE api_keys ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- The versions objects have now, and for models also those only the log remembers (deleted ones).
INSERT INTO object_versions (entity, id, version)
SELECT 'model', id, max(version) FROM (
    SELECT id, version FROM models
    UNION ALL
    SELECT entity_id, (coalesce(after, before) ->> 'version')::bigint
    FROM changes WHERE entity = 'model' AND entity_id IS NOT NULL AND coalesce(after, before) ? 'version'
) AS known GROUP BY id;
INSERT INTO object_versions (entity, id, version) SELECT 'credential', name, version FROM credentials;
INSERT INTO object_versions (entity, id, version) SELECT 'tenant', id, 1 FROM tenants;
INSERT INTO object_versions (entity, id, version) SELECT 'api_key', id::text, 1 FROM api_keys;

-- BEFORE INSERT OR UPDATE: the row's version is one past the last one its key was given (an
-- UPDATE: also past its own, so that a renamed credential never goes back). TG_ARGV[0] is the
-- entity, TG_ARGV[1] the key column. Whatever the statement wrote into `version` is overruled.
CREATE FUNCTION catalog_assign_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    object_id text := to_jsonb(NEW) ->> TG_ARGV[1];
    floor     bigint := CASE WHEN TG_OP = 'UPDATE' THEN OLD.version ELSE 0 END;
BEGIN
    INSERT INTO object_versions AS known (entity, id, version) VALUES (TG_ARGV[0], object_id, floor + 1)
    ON CONFLICT (entity, id) DO UPDATE SET version = greatest(known.version, floor) + 1
    RETURNING known.version INTO NEW.version;
    RETURN NEW;
END
$$;

CREATE TRIGGER models_version BEFORE INSERT OR UPDATE ON models
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_version('model', 'id');
CREATE TRIGGER credentials_version BEFORE INSERT OR UPDATE ON credentials
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_version('credential', 'name');
CREATE TRIGGER tenants_version BEFORE INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_version('tenant', 'id');
CREATE TRIGGER api_keys_version BEFORE INSERT OR UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_version('api_key', 'id');
