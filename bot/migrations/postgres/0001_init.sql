-- What Temporal cannot hold: the audit log, Slack envelope de-duplication, message
-- references and role caches. Times are RFC 3339 UTC text, so they sort as strings.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    workflow_id TEXT,
    gate TEXT,
    decision TEXT,
    outcome TEXT NOT NULL,
    slack_team TEXT,
    slack_channel TEXT
);
CREATE INDEX audit_log_workflow ON audit_log (workflow_id);

CREATE TABLE processed_envelopes (
    key TEXT PRIMARY KEY,
    received_at TEXT NOT NULL
);
CREATE INDEX processed_envelopes_received ON processed_envelopes (received_at);

CREATE TABLE message_refs (
    workflow_id TEXT NOT NULL,
    role TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (workflow_id, role)
);

CREATE TABLE role_cache (
    group_id TEXT PRIMARY KEY,
    members TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
