-- Integrity Ledger tables beside eventsourcing's stored_events (created by the library's recorder).
-- Everything here that records history is append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE for every role (a superuser must disable the triggers to tamper, which the Merkle log
-- and the offline verifier then expose), and the service role is granted only SELECT and INSERT.

CREATE TABLE IF NOT EXISTS ledger_receipts (
    log_index       bigint PRIMARY KEY CHECK (log_index >= 0),
    event_id        uuid   NOT NULL UNIQUE,
    originator_id   uuid   NOT NULL,        -- stored_events key: (originator_id, stream_version)
    stream          text   NOT NULL,
    stream_version  bigint NOT NULL CHECK (stream_version >= 1),
    event_type      text   NOT NULL,
    recorded_at     text   NOT NULL,
    leaf_hash       bytea  NOT NULL,
    chain_hash      bytea  NOT NULL,
    UNIQUE (stream, stream_version)
);
-- The projections read the log in notification order and join each stored event to its
-- receipt by this key: without the index every batch would scan (and sort) every receipt.
CREATE INDEX IF NOT EXISTS ledger_receipts_originator
    ON ledger_receipts (originator_id, stream_version);
-- The dispositions (events on `flag:<flag_id>` streams), a small part of the log: the list of
-- those whose flag the service does not hold (GET /v1/flags/unattached) reads them alone.
CREATE INDEX IF NOT EXISTS ledger_receipts_flag_streams
    ON ledger_receipts (stream, stream_version) WHERE starts_with(stream, 'flag:');

CREATE TABLE IF NOT EXISTS ledger_merkle_nodes (
    level smallint NOT NULL,
    idx   bigint   NOT NULL,
    hash  bytea    NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Checkpoints in issue order (seq): the latest is the one of the largest tree_size, of those the
-- last issued. One size may have several, each of the same tree (the trigger below), so never
-- inconsistent: `ledger log rotate-key` on a log that has not grown since its latest checkpoint
-- has the new key sign that tree again (docs/merkle.md, Rotating the log key). Until 2026-11-28
-- tree_size was the key; such a table gets seq (in stored order: its sizes are distinct).
CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tree_size  bigint NOT NULL,
    root_hash  bytea  NOT NULL,
    note       text   NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public'
                   AND table_name = 'ledger_checkpoints' AND column_name = 'seq') THEN
        ALTER TABLE public.ledger_checkpoints DROP CONSTRAINT ledger_checkpoints_pkey;
        ALTER TABLE public.ledger_checkpoints
            ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS ledger_checkpoints_latest ON ledger_checkpoints (tree_size, seq);

-- The admin tokens `ledger init` registered on this database (ledger/home.py): init registers
-- the home's token on any database that never had it, and never again, so one revoked here stays
-- revoked. A database that held a ledger before this record was kept (ledger_tokens exists when
-- the table is made) gets the row 00 (no SHA-256 is one byte long): which admin tokens init
-- registered there, and which were revoked since, is unknown, so init adds none missing there.
DO $$
BEGIN
    IF to_regclass('ledger_admin_grants') IS NULL THEN
        CREATE TABLE ledger_admin_grants (
            token_hash bytea PRIMARY KEY,
            granted_at timestamptz NOT NULL DEFAULT now()
        );
        IF to_regclass('ledger_tokens') IS NOT NULL THEN
            INSERT INTO ledger_admin_grants (token_hash) VALUES (decode('00', 'hex'));
        END IF;
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS ledger_tokens (
    token_hash bytea PRIMARY KEY,
    principal  text   NOT NULL,
    roles      text[] NOT NULL,
    units      text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'integrity ledger: % on % is refused: history is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stored_events', 'ledger_receipts', 'ledger_merkle_nodes',
                             'ledger_checkpoints'] LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()', t);
    END LOOP;
END $$;

-- A checkpoint is stored only of the tree as it is: its size at most the leaves logged and
-- at least every checkpoint's before it (equal: the same tree, signed again), its root (and its note's size and root lines) the stored
-- tree's at that size (folded from the perfect nodes, level 0 the receipts' leaf hashes, as
-- LedgerStore.nodes and merkle.root_from_nodes do). For every role: the service's may INSERT,
-- and one holding the log key could otherwise store a checkpoint of 2**62 leaves, after which no
-- honest one is issued, or of a root the log does not have. It takes the issuers' advisory lock
-- (logview.ISSUE_LOCK) so two inserts cannot both pass against the same latest checkpoint.
-- Owned by the owner, as the triggers above: the service's role may neither drop nor disable it.
-- Names are qualified and pg_temp searched last: a temporary table of a table's name, which any
-- role may make, is not read instead of it.
CREATE OR REPLACE FUNCTION ledger_check_checkpoint() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    leaves bigint;
    latest bigint;
    begin_ bigint := 0;
    lvl int;
    parts bytea[] := '{}';
    part bytea;
    root bytea;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(2016485::bigint);     -- logview.ISSUE_LOCK
    leaves := coalesce((SELECT r.log_index + 1 FROM public.ledger_receipts r
                        ORDER BY r.log_index DESC LIMIT 1), 0);
    latest := (SELECT max(c.tree_size) FROM public.ledger_checkpoints c);
    IF NEW.tree_size IS NULL OR NEW.tree_size < 0 OR NEW.tree_size > leaves THEN
        RAISE EXCEPTION 'integrity ledger: checkpoint of % leaves refused: % are logged',
            NEW.tree_size, leaves USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.tree_size < latest THEN
        RAISE EXCEPTION 'integrity ledger: checkpoint of % leaves refused: checkpoint % was '
            'issued already', NEW.tree_size, latest USING ERRCODE = 'check_violation';
    END IF;
    WHILE begin_ < NEW.tree_size LOOP          -- merkle.root_coords: largest perfect part first
        lvl := 0;
        WHILE (2::bigint << lvl) <= NEW.tree_size - begin_ LOOP lvl := lvl + 1; END LOOP;
        IF lvl = 0 THEN                          -- leaf hashes are kept in the receipts
            part := (SELECT r.leaf_hash FROM public.ledger_receipts r WHERE r.log_index = begin_);
        ELSE
            part := (SELECT n.hash FROM public.ledger_merkle_nodes n
                     WHERE n.level = lvl AND n.idx = begin_ >> lvl);
        END IF;
        IF part IS NULL THEN
            RAISE EXCEPTION 'integrity ledger: checkpoint of % leaves refused: the tree lacks '
                'node (level %, index %)', NEW.tree_size, lvl, begin_ >> lvl
                USING ERRCODE = 'check_violation';
        END IF;
        parts := parts || part;
        begin_ := begin_ + (1::bigint << lvl);
    END LOOP;
    IF cardinality(parts) = 0 THEN
        root := sha256(''::bytea);                                   -- merkle.EMPTY_ROOT
    ELSE
        root := parts[cardinality(parts)];
        FOR i IN REVERSE cardinality(parts) - 1 .. 1 LOOP
            root := sha256('\x01'::bytea || parts[i] || root);      -- merkle.node_hash
        END LOOP;
    END IF;
    IF NEW.root_hash IS DISTINCT FROM root THEN
        RAISE EXCEPTION 'integrity ledger: checkpoint of % leaves refused: its root is not the '
            'stored tree''s', NEW.tree_size USING ERRCODE = 'check_violation';
    END IF;
    -- The note is what readers are served: its size and root lines (checkpoint.py) are the row's.
    IF split_part(NEW.note, E'\n', 2) IS DISTINCT FROM NEW.tree_size::text
            OR split_part(NEW.note, E'\n', 3) IS DISTINCT FROM encode(root, 'base64') THEN
        RAISE EXCEPTION 'integrity ledger: checkpoint of % leaves refused: its note names '
            'another tree size or root', NEW.tree_size USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER ledger_checkpoint_of_the_tree BEFORE INSERT ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_check_checkpoint();

-- The library serialises writers with LOCK TABLE ... IN EXCLUSIVE MODE, which PostgreSQL allows
-- only to roles holding UPDATE, DELETE or TRUNCATE. The service role holds none of those, so it
-- takes the same lock through this owner-defined function.
CREATE OR REPLACE FUNCTION ledger_lock_events() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    LOCK TABLE public.stored_events IN EXCLUSIVE MODE;
END $$;

-- Everything the writer must know about a group, read under the lock in one round trip.
CREATE OR REPLACE FUNCTION ledger_group_state(ids uuid[], streams text[])
RETURNS TABLE (size bigint, last_recorded_at text, keys_version bigint, existing_ids uuid[],
               head_streams text[], head_versions bigint[], head_chains bytea[])
LANGUAGE sql STABLE AS $$
    SELECT
        coalesce((SELECT log_index + 1 FROM ledger_receipts ORDER BY log_index DESC LIMIT 1), 0),
        (SELECT recorded_at FROM ledger_receipts ORDER BY log_index DESC LIMIT 1),
        coalesce((SELECT max(stream_version) FROM ledger_receipts WHERE stream = 'keys'), 0),
        (SELECT array_agg(event_id) FROM ledger_receipts WHERE event_id = ANY(ids)),
        h.s, h.v, h.c
    FROM (SELECT array_agg(x.stream) AS s, array_agg(x.stream_version) AS v,
                 array_agg(x.chain_hash) AS c
          FROM unnest(streams) AS n(name)
          CROSS JOIN LATERAL (SELECT stream, stream_version, chain_hash FROM ledger_receipts
                              WHERE stream = n.name ORDER BY stream_version DESC LIMIT 1) x) h
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_writer') THEN
        CREATE ROLE ledger_writer NOLOGIN;
    END IF;
END $$;

REVOKE ALL ON stored_events, ledger_receipts, ledger_merkle_nodes, ledger_checkpoints,
    ledger_tokens, ledger_admin_grants FROM PUBLIC;
GRANT SELECT, INSERT ON stored_events, ledger_receipts, ledger_merkle_nodes, ledger_checkpoints
    TO ledger_writer;
GRANT SELECT ON ledger_tokens, ledger_admin_grants TO ledger_writer;
GRANT USAGE ON SEQUENCE stored_events_notification_id_seq TO ledger_writer;
REVOKE ALL ON FUNCTION ledger_lock_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_group_state(uuid[], text[]) TO ledger_writer;
GRANT EXECUTE ON FUNCTION ledger_lock_events() TO ledger_writer;
GRANT USAGE ON SCHEMA public TO ledger_writer;
-- Never CREATE (granted until 2026-11-27, and revoked from databases initialised before): a role
-- that may create in a schema on the owner's search_path can define a function there that is a
-- better match for a call's argument types than pg_catalog's (CVE-2018-1058), which a command run
-- with the owner's role (`ledger rebuild`, `ledger init`) would then run with the owner's rights.
REVOKE CREATE ON SCHEMA public FROM ledger_writer;
