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
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON view_cases, view_officers, view_complaints,
    view_public_decisions, view_supervision TO ledger_writer;

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
