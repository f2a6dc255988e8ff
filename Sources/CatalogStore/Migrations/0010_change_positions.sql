-- ModelCatalog schema, version 10 (issue 13): every change gets a public position in commit order.
--
-- seq is taken when a row is written, so seqs commit out of order and a rolled-back transaction
-- leaves a hole: a cursor in seq order can skip a change that commits later. Gateways following
-- the stream need a cursor that never skips: `pos`, given at commit, 1, 2, 3, … with no hole.
--
-- A deferred constraint trigger runs as the writing transaction commits. Its first run in a
-- transaction updates the one row of change_position_counter, which holds that row's lock until
-- the transaction has ended: writers of the catalog take positions one transaction at a time,
-- and a position is visible only after every smaller one is (the next writer gets the row only
-- once the previous one has committed, or rolled back and given its numbers back). So the
-- committed positions are always a prefix of 1, 2, 3, …, on the primary and on a standby alike,
-- and `pos > N ORDER BY pos` never misses one.
--
-- The cost: commits of catalog writes are serialised from this trigger to the end of COMMIT
-- (including its WAL flush). A transaction that is merely open holds nothing; and catalog writes
-- cannot be prepared for two-phase commit anyway (their triggers NOTIFY).

CREATE TABLE change_position_counter (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last      bigint NOT NULL
);

ALTER TABLE changes ADD COLUMN pos bigint;
-- Entries already in the log were all committed: they take positions in (xid, seq) order.
UPDATE changes c SET pos = n.pos
FROM (SELECT seq, row_number() OVER (ORDER BY xid, seq) AS pos FROM changes) n
WHERE c.seq = n.seq;
INSERT INTO change_position_counter (last) SELECT coalesce(max(pos), 0) FROM changes;
CREATE UNIQUE INDEX changes_pos_idx ON changes (pos);

CREATE FUNCTION catalog_assign_positions() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pending  bigint;
    base     bigint;
BEGIN
    -- One run per row, but the first run of a transaction numbers all of its entries (in seq
    -- order); the later runs find their row numbered and return.
    PERFORM 1 FROM changes WHERE seq = NEW.seq AND pos IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO pending FROM changes WHERE xid = pg_current_xact_id() AND pos IS NULL;
    UPDATE change_position_counter SET last = last + pending RETURNING last - pending INTO base;
    UPDATE changes c SET pos = base + n.rank
    FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS rank
          FROM changes WHERE xid = pg_current_xact_id() AND pos IS NULL) n
    WHERE c.seq = n.seq;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER changes_position AFTER INSERT ON changes
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION catalog_assign_positions();
