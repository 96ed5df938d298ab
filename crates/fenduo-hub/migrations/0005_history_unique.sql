-- A batch retried after a lost answer (or a hub restart) must not duplicate replay history.
DELETE FROM metric_samples
WHERE rowid NOT IN (SELECT MIN(rowid) FROM metric_samples GROUP BY session_id, group_id, at);
CREATE UNIQUE INDEX metric_samples_unique ON metric_samples(session_id, group_id, at);
