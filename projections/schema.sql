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
