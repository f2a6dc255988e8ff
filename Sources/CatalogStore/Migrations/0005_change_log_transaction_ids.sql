-- ModelCatalog schema, version 5: each change-log entry records the transaction that wrote it.
--
-- A seq is taken before its transaction commits, and sequences are not transactional: a later seq
-- can become visible before an earlier one, and a rolled-back transaction leaves a hole for ever.
-- So "every seq up to N is applied" cannot be known from seqs alone. The transaction id can:
-- PostgreSQL guarantees that no transaction below pg_snapshot_xmin(pg_current_snapshot()) is
-- still running, so every entry whose xid lies below it is final (visible now, or never). Replicas
-- keep their durable cursor in (xid, seq) order over final entries only, and apply the visible
-- entries above it at once; no timeout decides anything.

ALTER TABLE changes ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX changes_xid_seq_idx ON changes (xid, seq);
