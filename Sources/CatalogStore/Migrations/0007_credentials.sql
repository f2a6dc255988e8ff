-- ModelCatalog schema, version 7: reusable credentials (LiteLLM's /credentials).
--
-- A credential is shared (tenant_id NULL, an admin's) or one team's. Deployments name one in
-- litellm_params.litellm_credential_name; rotating its values is one write that every such
-- deployment follows, since nothing is copied into them. Who may use which credential is the
-- service's rule (Catalog.AccessPolicy), never restated here.
--
-- credentials holds what may be shown (name, team, display name, credential_info, the NAMES of
-- the values); the values themselves are sealed by the service with AES-GCM, bound to the
-- credential's name, in credential_secrets, which no reporting role can read.

CREATE TABLE credentials (
    name          text PRIMARY KEY CHECK (name <> ''),        -- credential_name
    tenant_id     text REFERENCES tenants (id) ON DELETE CASCADE, -- NULL: shared by every team
    display_name  text,
    info          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(info) = 'object'), -- credential_info
    value_names   text[] NOT NULL DEFAULT '{}',                -- the keys of credential_values, sorted
    version       bigint NOT NULL DEFAULT 1,                   -- optimistic concurrency
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text
);
CREATE INDEX credentials_tenant_idx ON credentials (tenant_id);

CREATE TABLE credential_secrets (
    credential_name text PRIMARY KEY REFERENCES credentials (name) ON DELETE CASCADE ON UPDATE CASCADE,
    sealed          bytea NOT NULL,                            -- AES-GCM combined: nonce | ciphertext | tag
    key_id          text NOT NULL,                             -- which key sealed it (a digest, not the key)
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Deployments that use a credential, for DELETE's "still in use" check.
CREATE INDEX models_credential_name_idx ON models ((litellm_params ->> 'litellm_credential_name'))
    WHERE litellm_params ? 'litellm_credential_name';

-- The change log, as for models: every write, through the API or with plain SQL, appends an
-- entry (entity 'credential', entity_id the name) and notifies its seq in the same transaction.
-- The rows themselves are not kept: they hold nothing a replica needs that it does not re-read.
CREATE FUNCTION catalog_log_credential_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed  credentials;
    new_seq  bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    INSERT INTO changes (entity, op, entity_id, tenant_id, actor)
    VALUES ('credential', lower(TG_OP), changed.name, changed.tenant_id, nullif(current_setting('catalog.actor', true), ''))
    RETURNING seq INTO new_seq;
    PERFORM pg_notify('catalog_changes', new_seq::text);
    -- A renamed credential (plain SQL only: the API keeps names) is also the old name's deletion.
    IF TG_OP = 'UPDATE' AND OLD.name IS DISTINCT FROM NEW.name THEN
        INSERT INTO changes (entity, op, entity_id, tenant_id, actor)
        VALUES ('credential', 'delete', OLD.name, OLD.tenant_id, nullif(current_setting('catalog.actor', true), ''))
        RETURNING seq INTO new_seq;
        PERFORM pg_notify('catalog_changes', new_seq::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER credentials_log AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION catalog_log_credential_change();
CREATE TRIGGER credentials_truncate_log AFTER TRUNCATE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_log_statement_change('credential');
