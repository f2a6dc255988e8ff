-- ModelCatalog schema, version 12 (issue 13): the fleet, visible. Every replica reports itself
-- and its change-stream subscribers here every few seconds, so that GET /fleet on any replica
-- lists them all. Presence, not catalog data: no change-log trigger, and UNLOGGED (no WAL; a
-- crash empties it, and the live replicas fill it again within seconds).

CREATE UNLOGGED TABLE fleet_members (
    replica_id   text PRIMARY KEY,               -- one per process, new at every start
    host         text NOT NULL,
    pid          integer NOT NULL,
    started_at   timestamptz NOT NULL,
    seen_at      timestamptz NOT NULL,
    applied_seq  bigint NOT NULL,
    subscribers  jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(subscribers) = 'array')
);
