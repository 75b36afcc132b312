-- pgbaseline serve history, PostgreSQL. Times are Unix microseconds (UTC).
CREATE TABLE scans (
    id           BIGSERIAL PRIMARY KEY,
    target       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    trigger_name TEXT    NOT NULL,
    slot_us      BIGINT,
    queued_us    BIGINT  NOT NULL,
    started_us   BIGINT,
    finished_us  BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    summary      TEXT    NOT NULL DEFAULT '{}',
    controls     TEXT    NOT NULL DEFAULT '{}',
    error        TEXT    NOT NULL DEFAULT ''
);
-- One scheduled scan per target and schedule slot, whichever replica asks.
CREATE UNIQUE INDEX scans_target_slot ON scans (target, slot_us);
CREATE INDEX scans_queued ON scans (queued_us);
CREATE INDEX scans_target_status ON scans (target, status, finished_us);

CREATE TABLE scan_reports (
    scan_id  BIGINT PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
    encoding TEXT   NOT NULL,
    body     BYTEA  NOT NULL
);

CREATE TABLE results (
    scan_id       BIGINT  NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    rule_id       TEXT    NOT NULL,
    control_id    TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    severity      TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (scan_id, seq)
);
CREATE INDEX results_match ON results (scan_id, rule_id, resource_id, status);

CREATE TABLE audit (
    id     BIGSERIAL PRIMARY KEY,
    at_us  BIGINT NOT NULL,
    actor  TEXT   NOT NULL,
    action TEXT   NOT NULL,
    object TEXT   NOT NULL,
    detail TEXT   NOT NULL DEFAULT ''
);
