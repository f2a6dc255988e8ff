-- ModelCatalog schema, version 15 (issue 14): operators' price overrides, a layer of their own.
--
-- The cost map is upstream's (a reload replaces it whole); a deployment's own prices live in its
-- litellm_params. An override prices a cost-map key for every tenant, in between, and lives here,
-- where no reload or import touches it. `upstream` keeps what the map said for each overridden
-- field when the override was set: when the map says something else later, the override is
-- flagged as drifted instead of silently hiding the change.
--
-- Every write is a change-log entry (entity 'price_override', id = the key), so every replica's
-- prices and the change stream's cost map follow it like any other change; the database gives
-- each override a version (migration 0013's trigger), for ETag and If-Match.

CREATE TABLE price_overrides (
    id          text PRIMARY KEY,                               -- the cost-map key it prices
    prices      jsonb NOT NULL CHECK (jsonb_typeof(prices) = 'object'),
    upstream    jsonb NOT NULL CHECK (jsonb_typeof(upstream) = 'object'),
    note        text,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_by  text
);

CREATE TRIGGER price_overrides_version BEFORE INSERT OR UPDATE ON price_overrides
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_version('price_override', 'id');
CREATE TRIGGER price_overrides_log AFTER INSERT OR UPDATE OR DELETE ON price_overrides
    FOR EACH ROW EXECUTE FUNCTION catalog_log_row_change('price_override');
CREATE TRIGGER price_overrides_truncate_log AFTER TRUNCATE ON price_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_log_statement_change('price_override');
