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
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_cases, view_officers, view_complaints
    TO ledger_writer;

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
CREATE INDEX IF NOT EXISTS view_flags_case ON view_flags (case_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_officer ON view_flags (officer_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_unit ON view_flags (unit_id, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_party ON view_flags (party_ref, raised_at, flag_id);
CREATE INDEX IF NOT EXISTS view_flags_scope ON view_flags (scope);
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_flags TO ledger_writer;
