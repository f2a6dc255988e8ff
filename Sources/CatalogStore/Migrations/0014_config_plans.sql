-- ModelCatalog schema, version 14 (issue 14): import plans, applied later exactly as planned.
--
-- POST /config/plan keeps what an import of a config would write: each entry as it will be stored
-- (secrets as the placeholder) and its literal secrets already sealed, never in clear. POST
-- /config/apply writes exactly those entries, in one transaction, unless a model the plan names
-- changed after `base_pos` (the change-log position the plan was made at): then 409. A plan is
-- applied once; plans are kept a day.

CREATE TABLE config_plans (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file        text NOT NULL,
    base_pos    bigint NOT NULL,
    entries     jsonb NOT NULL,
    summary     jsonb NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
