-- ModelCatalog schema, version 9: router aliases (config.yaml router_settings.model_group_alias).
--
-- Access groups need no table: as in LiteLLM, a group is the set of deployments whose
-- model_info.access_groups names it, and blocking is model_info.blocked; both are writes of
-- models, already logged and notified by models_log. Aliases are their own rows: every replica
-- must list the same ones, and they must survive a restart. Applied after 0006 on any database,
-- whatever 0007 and 0008 add (this file touches nothing they create).

CREATE TABLE model_group_aliases (
    alias        text PRIMARY KEY CHECK (alias <> ''),
    model_group  text NOT NULL CHECK (model_group <> ''),   -- the model_name it resolves to
    hidden       boolean NOT NULL DEFAULT false,            -- routes, but is not listed
    source       text NOT NULL DEFAULT 'sql' CHECK (source IN ('config', 'sql')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Aliases are few and change together (a config load replaces them): one log entry per
-- statement, entity 'model_alias', and replicas reload them all. Plain SQL writes and TRUNCATE
-- propagate the same way.
CREATE TRIGGER model_group_aliases_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_group_aliases
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_log_statement_change('model_alias');
