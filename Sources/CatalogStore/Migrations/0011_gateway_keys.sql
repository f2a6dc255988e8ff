-- ModelCatalog schema, version 11 (issue 13): gateway keys, the keys routers use to read the
-- routing view (secrets opened). A gateway key is shared (no team) or bound to one team, so it is
-- the one role whose tenant_id may be either; admin and personal keys have none, team roles one.
--
-- Touches only api_keys' two checks, which 0008 named: nothing here depends on 0010.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys DROP CONSTRAINT api_keys_check;
-- The same names again, so that a later migration finds them as 0008 left them.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('admin', 'tenant_admin', 'tenant_member', 'personal', 'gateway'));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_check
    CHECK (role = 'gateway' OR (role IN ('admin', 'personal')) = (tenant_id IS NULL));
