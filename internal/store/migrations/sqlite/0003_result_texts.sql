-- Compact results: the texts a result shares with many others (its rule's
-- title, feature, policy, effect and remediation, its message and its
-- file) are stored once in result_texts and referenced by text_id; the
-- result's own body keeps only what is its own (resource name, evidence,
-- lines). Rows written before this migration have no text_id and a full
-- body, and are read as before.
CREATE TABLE result_texts (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    -- When a scan last recorded the text: pruning deletes the texts last
    -- used before its cutoff that no kept scan refers to.
    last_used_us BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE results ADD COLUMN text_id BIGINT;
