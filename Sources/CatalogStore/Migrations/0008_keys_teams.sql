-- ModelCatalog schema, version 8 (issue 12): LiteLLM's personal virtual keys, a key's model
-- aliases, and a team's model allow-list.
--
-- Written to apply whatever else lies between 0006 and it: 0007 may be applied before or after
-- this file on a given database, so nothing here depends on 0007 and nothing is assumed absent
-- except what 0001-0006 made.

-- A personal key ('personal', LiteLLM's default virtual key) belongs to no team, like an admin
-- key; every other key belongs to one. The old checks are found by what they check, not by the
-- names PostgreSQL chose for them.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'api_keys'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%role%'
    LOOP
        EXECUTE format('ALTER TABLE api_keys DROP CONSTRAINT %I', name);
    END LOOP;
END
$$;
-- The new checks keep the names PostgreSQL gave the old ones, so that a migration written
-- against 0001's schema that drops them by name still finds them.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('admin', 'tenant_admin', 'tenant_member', 'personal'));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_check
    CHECK ((role IN ('admin', 'personal')) = (tenant_id IS NULL));

-- LiteLLM's key field `aliases`: {"alias": "model group"}. Its values are checked by the service.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS aliases jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT api_keys_aliases_object CHECK (jsonb_typeof(aliases) = 'object');
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS updated_by text;

-- A team's model allow-list (LiteLLM's team `models`): every key of the team is narrowed by it,
-- on top of its own list. Empty: no restriction, as LiteLLM's `models: []`.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS models text[] NOT NULL DEFAULT '{}'
    CONSTRAINT tenants_models_no_nulls CHECK (array_position(models, NULL) IS NULL);
