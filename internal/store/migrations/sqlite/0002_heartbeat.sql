-- Running scans carry a heartbeat (Unix microseconds) that the replica
-- working on them renews; a scan whose heartbeat is stale is reaped.
ALTER TABLE scans ADD COLUMN heartbeat_us BIGINT;
