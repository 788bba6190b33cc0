-- Commands the bot has acknowledged and not yet carried out (a feature start): written before
-- the ack, removed once done; a bot that dies in between leaves the row for another to finish.
CREATE TABLE owed (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    claimed_at TEXT NOT NULL
);
CREATE INDEX owed_claimed ON owed (claimed_at);
