-- Who queued each outbox entry: the login (hub address as stored in the `login` setting, and the
-- user's id) it is sent as. Only the same user on the same hub sends it; another user's entries
-- stay pending on this command post until their owner logs in again here.
ALTER TABLE outbox ADD COLUMN hub_url TEXT;
ALTER TABLE outbox ADD COLUMN user_id TEXT;

-- Entries queued before this migration did not record their owner. They are given to the login
-- remembered when the migration runs (the user whose session queued them, unless they had already
-- logged out). With no login remembered the owner is unknown: they keep NULL, are never sent
-- automatically (sending them as whoever logs in next is the bug this migration fixes) and stay
-- visible in the outbox history.
UPDATE outbox
SET hub_url = (SELECT json_extract(value, '$.hub_url') FROM settings WHERE key = 'login'),
    user_id = (SELECT json_extract(value, '$.user.id') FROM settings WHERE key = 'login')
WHERE user_id IS NULL;

CREATE INDEX outbox_owner_pending ON outbox(hub_url, user_id, state, seq);
