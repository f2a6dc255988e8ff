-- ModelCatalog schema, version 3: the change log keeps each model's row before and after the
-- change, for GET /model/history. Stored rows hold no literal secret (those are sealed in
-- model_secrets), so neither does the log.

ALTER TABLE changes ADD COLUMN before jsonb, ADD COLUMN after jsonb;
CREATE INDEX changes_model_idx ON changes (entity_id, seq) WHERE entity = 'model';

CREATE OR REPLACE FUNCTION catalog_log_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row  jsonb;
    new_row  jsonb;
    new_seq  bigint;
    keep     boolean := coalesce(TG_ARGV[1], '') = 'with_rows';
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    INSERT INTO changes (entity, op, entity_id, tenant_id, actor, before, after)
    VALUES (TG_ARGV[0], lower(TG_OP), coalesce(new_row, old_row) ->> 'id',
            coalesce(new_row, old_row) ->> 'tenant_id',
            nullif(current_setting('catalog.actor', true), ''),
            CASE WHEN keep THEN old_row - 'config_hash' - 'ordinal' END,
            CASE WHEN keep THEN new_row - 'config_hash' - 'ordinal' END)
    RETURNING seq INTO new_seq;
    PERFORM pg_notify('catalog_changes', new_seq::text);
    RETURN NULL;
END
$$;

DROP TRIGGER models_log ON models;
CREATE TRIGGER models_log AFTER INSERT OR UPDATE OR DELETE ON models
    FOR EACH ROW EXECUTE FUNCTION catalog_log_row_change('model', 'with_rows');
