-- Read models: derived, rebuildable state (unlike history, these tables are mutable).
CREATE TABLE IF NOT EXISTS view_cases (
    case_id    text PRIMARY KEY,
    state      jsonb  NOT NULL,
    last_index bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS view_officers (
    officer_id text PRIMARY KEY,
    state      jsonb  NOT NULL,
    last_index bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS view_complaints (
    complaint_id text PRIMARY KEY,
    state        jsonb  NOT NULL,
    last_index   bigint NOT NULL
);
-- Columns PostgreSQL computes from each state as it is written, and indexed, so the pages that
-- count or filter by them read no state they do not show: the unit each state names (the
-- dashboard's unit list and overview, the unit assessment, the scoped look-ups); the units of
-- a case's decisions in force, which their fines count for (RF24, the unit overview); its
-- violation and the first and last day of its decisions in force (an officer page's peers,
-- RF17's cohort: the decisions of its codes within a few quarters); the officers who acted in
-- it, the keys of its `officers` (an officer's assessment). Reading them from the states
-- decompressed every state of every unit (0.67 s for the unit list at 50,000 cases,
-- benchmarks/units_bench.py). `decided_unit_id` and `decided_on`, of the case's `decision`
-- alone (a co-party's was not counted), are read by no page since 2026-11-29: kept for a
-- process of the version before still running beside the upgrade.
CREATE OR REPLACE FUNCTION view_case_officer_ids(state jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(array_agg(k ORDER BY k), '{}') FROM jsonb_object_keys(
        CASE WHEN jsonb_typeof(state->'officers') = 'object' THEN state->'officers' END) AS k
$$;
-- A case's decisions in force: its `decision`, with the case's amounts and withdrawal, and each
-- other party's (`co_party_decisions`, 共同违法, each with its own), as the red-flag engine and
-- the officers' caseload count them (issue #5); a decision's unit is the one that held the case
-- when it was made. The pages counting decisions or fines read them through this, and find
-- the cases by the columns below: the units of its decisions, its first and last decision day.
CREATE OR REPLACE FUNCTION view_case_decisions(state jsonb)
    RETURNS TABLE (event_id text, unit_id text, decided_on text, status text, fine boolean,
                   decided_fen bigint, withdrawn boolean)
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    -- jsonb_to_record reads the (compressed) state once, where each state->… read it again
    SELECT d->>'event_id', coalesce(d->>'unit_id', c.unit_id), d->>'decided_on',
           d->>'status', coalesce(a->'penalty_types' ? 'fine', false),
           (a->>'decided_fen')::bigint, coalesce(w, 'null'::jsonb) <> 'null'::jsonb
    FROM jsonb_to_record(state) AS c(unit_id text, decision jsonb, amounts jsonb,
                                     withdrawal jsonb, co_party_decisions jsonb),
         LATERAL (SELECT c.decision, c.amounts, c.withdrawal
                  UNION ALL
                  SELECT e, e, e->'withdrawal' FROM jsonb_array_elements(
                      CASE WHEN jsonb_typeof(c.co_party_decisions) = 'array'
                           THEN c.co_party_decisions END) AS e) AS x(d, a, w)
    WHERE d->>'decided_on' IS NOT NULL
$$;
CREATE OR REPLACE FUNCTION view_case_decided_units(state jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT unit_id ORDER BY unit_id)
                    FILTER (WHERE unit_id IS NOT NULL), '{}')
    FROM view_case_decisions(state)
$$;
-- [first, last] decision day
CREATE OR REPLACE FUNCTION view_case_decided_span(state jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT ARRAY[min(decided_on), max(decided_on)] FROM view_case_decisions(state)
$$;
-- A home made before 2026-11-29 gets them from `ledger init`: one ALTER per table, so each is
-- rewritten once, and only when a column is missing — an ALTER TABLE locks out the table's
-- readers even when it has nothing to add, and init runs at every `make run`.
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = 'view_cases'::regclass
        AND attname IN ('unit_id', 'decided_unit_id', 'violation_code', 'decided_on',
                        'officer_ids', 'decided_unit_ids', 'first_decided_on',
                        'last_decided_on') AND NOT attisdropped) < 8 THEN
        ALTER TABLE view_cases
            ADD COLUMN IF NOT EXISTS unit_id text GENERATED ALWAYS AS (state->>'unit_id') STORED,
            ADD COLUMN IF NOT EXISTS decided_unit_id text GENERATED ALWAYS AS
                (coalesce(state->'decision'->>'unit_id', state->>'unit_id')) STORED,
            ADD COLUMN IF NOT EXISTS violation_code text GENERATED ALWAYS AS
                (state->'violation'->>'code') STORED,
            ADD COLUMN IF NOT EXISTS decided_on text GENERATED ALWAYS AS
                (state->'decision'->>'decided_on') STORED,
            ADD COLUMN IF NOT EXISTS officer_ids text[] GENERATED ALWAYS AS
                (view_case_officer_ids(state)) STORED,
            ADD COLUMN IF NOT EXISTS decided_unit_ids text[] GENERATED ALWAYS AS
                (view_case_decided_units(state)) STORED,
            ADD COLUMN IF NOT EXISTS first_decided_on text GENERATED ALWAYS AS
                ((view_case_decided_span(state))[1]) STORED,
            ADD COLUMN IF NOT EXISTS last_decided_on text GENERATED ALWAYS AS
                ((view_case_decided_span(state))[2]) STORED;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid =
                   'view_officers'::regclass AND attname = 'unit_id' AND NOT attisdropped) THEN
        ALTER TABLE view_officers
            ADD COLUMN unit_id text GENERATED ALWAYS AS (state->>'unit_id') STORED;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid =
                   'view_complaints'::regclass AND attname = 'unit_id' AND NOT attisdropped) THEN
        ALTER TABLE view_complaints
            ADD COLUMN unit_id text GENERATED ALWAYS AS (state->>'unit_id') STORED;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS view_cases_code_decided
    ON view_cases (violation_code, decided_on, case_id);
CREATE INDEX IF NOT EXISTS view_cases_officers ON view_cases USING gin (officer_ids);
CREATE INDEX IF NOT EXISTS view_cases_unit ON view_cases (unit_id);
CREATE INDEX IF NOT EXISTS view_cases_decided_unit ON view_cases (decided_unit_id);
CREATE INDEX IF NOT EXISTS view_cases_decided_units ON view_cases USING gin (decided_unit_ids);
CREATE INDEX IF NOT EXISTS view_cases_code_last_decided
    ON view_cases (violation_code, last_decided_on, case_id);
CREATE INDEX IF NOT EXISTS view_officers_unit ON view_officers (unit_id);
CREATE INDEX IF NOT EXISTS view_complaints_unit ON view_complaints (unit_id);
-- who approved each extension: a post recorded later recounts those complaints (RF23.b)
CREATE INDEX IF NOT EXISTS view_complaints_approvers
    ON view_complaints USING gin ((state->'extensions') jsonb_path_ops);
-- the same for the cases' decision-deadline extensions (RF12.b)
CREATE INDEX IF NOT EXISTS view_cases_approvers
    ON view_cases USING gin ((state->'extensions') jsonb_path_ops);
-- Oversight (docs/oversight.md): public-disclosure records (already redacted) and supervision
-- notices, folded with the read models above.
CREATE TABLE IF NOT EXISTS view_public_decisions (
    case_id    text PRIMARY KEY,
    state      jsonb  NOT NULL,
    last_index bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS view_supervision (
    notice_id  text PRIMARY KEY,
    state      jsonb  NOT NULL,
    last_index bigint NOT NULL
);
-- One row per publication in view_public_decisions (a decision published, withdrawn and
-- published anew has several), kept by the trigger below from the states as they are written:
-- the unauthenticated public feed pages through these by index, newest first, and decodes the
-- page's states alone, where it expanded and sorted every case's publications on each request.
CREATE TABLE IF NOT EXISTS view_public_entries (
    case_id         text    NOT NULL,
    n               integer NOT NULL,     -- the publication's place in the state's list, from 1
    unit_id         text,
    published_on    text    NOT NULL,     -- YYYY-MM-DD, the legal day
    publication_ref text    NOT NULL,
    PRIMARY KEY (case_id, n)
);
CREATE INDEX IF NOT EXISTS view_public_entries_newest
    ON view_public_entries (published_on, publication_ref, case_id, n);
CREATE INDEX IF NOT EXISTS view_public_entries_unit
    ON view_public_entries (unit_id, published_on, publication_ref, case_id, n);
CREATE OR REPLACE FUNCTION view_public_entries_of(state jsonb, id text)
    RETURNS TABLE (case_id text, n integer, unit_id text, published_on text,
                   publication_ref text)
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT id, p.n::integer, state->>'unit_id', p.pub->>'published_on',
           p.pub->>'publication_ref'
    FROM jsonb_array_elements(state->'publications') WITH ORDINALITY AS p(pub, n)
$$;
-- names resolved as ledger/schema.sql's functions resolve them: pg_temp last, so a temporary
-- table of an entries' name is not written instead of it
CREATE OR REPLACE FUNCTION view_public_entries_sync() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN          -- an operator's, or a benchmark's
        TRUNCATE view_public_entries;
        RETURN NULL;
    END IF;
    -- an insert's too: rows a record left while no trigger kept them (a bulk load) go first
    DELETE FROM view_public_entries
        WHERE case_id = CASE WHEN TG_OP = 'INSERT' THEN NEW.case_id ELSE OLD.case_id END;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO view_public_entries
            SELECT * FROM view_public_entries_of(NEW.state, NEW.case_id);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER view_public_entries_sync
    AFTER INSERT OR UPDATE OR DELETE ON view_public_decisions
    FOR EACH ROW EXECUTE FUNCTION view_public_entries_sync();
CREATE OR REPLACE TRIGGER view_public_entries_truncate
    AFTER TRUNCATE ON view_public_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION view_public_entries_sync();
-- a home whose public records were written before the entries existed: filled once, here
INSERT INTO view_public_entries
    SELECT e.* FROM view_public_decisions d, view_public_entries_of(d.state, d.case_id) e
    WHERE NOT EXISTS (SELECT 1 FROM view_public_entries)
    ON CONFLICT DO NOTHING;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_cases, view_officers, view_complaints,
    view_public_decisions, view_public_entries, view_supervision TO ledger_writer;

CREATE TABLE IF NOT EXISTS view_flags (
    flag_id      text PRIMARY KEY,
    rule_id      text   NOT NULL,
    rule         text   NOT NULL,
    severity     text   NOT NULL,
    status       text   NOT NULL,
    disposition  text   NOT NULL,
    scope        text   NOT NULL,
    case_id      text,
    officer_id   text,
    unit_id      text,
    party_ref    text,
    raised_at    text   NOT NULL,
    flag         jsonb  NOT NULL,
    evaluated_at text   NOT NULL,    -- when this flag was last (re)written
    digest       text   NOT NULL     -- SHA-256 of the flag's canonical value
);
-- The queue is read newest first, by one filter: each index ends in the sort key, so a page is
-- an index range scan, not a sort of every matching flag.
CREATE INDEX IF NOT EXISTS view_flags_newest ON view_flags (raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_status ON view_flags (status, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_severity ON view_flags (severity, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_rule ON view_flags (rule, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_rule_id ON view_flags (rule_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_disposition ON view_flags (disposition, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_case ON view_flags (case_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_officer ON view_flags (officer_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_unit ON view_flags (unit_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_party ON view_flags (party_ref, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_scope ON view_flags (scope);
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_flags TO ledger_writer;

-- Warning levels (监督警示), kept by the flags projection: the current level of each officer and
-- unit, and its history of level changes (recomputed from the flags and their dispositions).
CREATE TABLE IF NOT EXISTS view_warning_levels (
    entity         text PRIMARY KEY,      -- officer:<id> | unit:<id>
    kind           text   NOT NULL,
    entity_id      text   NOT NULL,
    unit_id        text,
    level          text   NOT NULL,
    points         integer NOT NULL,
    reasons        jsonb  NOT NULL,
    params_version text   NOT NULL,
    evaluated_at   text   NOT NULL,
    next_due       bigint               -- epoch seconds of the next change by time, if any
);
CREATE INDEX IF NOT EXISTS view_warning_levels_due ON view_warning_levels (next_due);
CREATE TABLE IF NOT EXISTS view_warning_history (
    entity         text    NOT NULL,
    seq            integer NOT NULL,
    from_at        text    NOT NULL,
    level          text    NOT NULL,
    points         integer NOT NULL,
    reasons        jsonb   NOT NULL,
    params_version text    NOT NULL,
    PRIMARY KEY (entity, seq)
);
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_warning_levels, view_warning_history
    TO ledger_writer;
