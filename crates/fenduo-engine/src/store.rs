//! The local SQLite copy of what the hub sent, opened once per app.

use std::path::Path;
use std::time::Duration;

use fenduo_proto::{Asset, Change, Group, GroupStatus, Playbook, Record, Session, Stage};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::error::EngineResult;

#[derive(Clone)]
pub struct LocalStore {
    pool: SqlitePool,
}

impl LocalStore {
    pub async fn open(path: &Path) -> EngineResult<LocalStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(LocalStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> EngineResult<Option<T>> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.and_then(|v| serde_json::from_str(&v).ok()))
    }

    pub async fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> EngineResult<()> {
        let json = serde_json::to_string(value).expect("settings serialise");
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(json)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn remove_setting(&self, key: &str) -> EngineResult<()> {
        sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(&self.pool).await?;
        Ok(())
    }

    /// Forgets all synced data (another hub or user logged in).
    pub async fn clear_synced(&self) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM records").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM statuses").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM settings WHERE key = 'sync_cursor'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn cursor(&self) -> EngineResult<i64> {
        Ok(self.setting("sync_cursor").await?.unwrap_or(0))
    }

    /// Applies a page of changes and moves the cursor in the same transaction, so a crash
    /// between the two can never skip or repeat a change.
    pub async fn apply_changes(&self, changes: &[Change], next_cursor: i64) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        apply_in(&mut tx, changes, next_cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every synced record with `changes` (a full resync) and sets the cursor, in one
    /// transaction.
    pub async fn replace_all(&self, changes: &[Change], cursor: i64) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM records").execute(&mut *tx).await?;
        apply_in(&mut tx, changes, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Synced records of one kind, typed.
    async fn typed<T>(&self, kind: &str, pick: impl Fn(Record) -> Option<T>) -> EngineResult<Vec<T>> {
        Ok(self.records(kind).await?.into_iter().filter_map(pick).collect())
    }

    pub async fn groups(&self) -> EngineResult<Vec<Group>> {
        self.typed("group", |r| if let Record::Group(g) = r { Some(g) } else { None }).await
    }

    pub async fn sessions(&self) -> EngineResult<Vec<Session>> {
        self.typed("session", |r| if let Record::Session(s) = r { Some(s) } else { None }).await
    }

    pub async fn stages(&self) -> EngineResult<Vec<Stage>> {
        self.typed("stage", |r| if let Record::Stage(s) = r { Some(s) } else { None }).await
    }

    pub async fn playbooks(&self) -> EngineResult<Vec<Playbook>> {
        self.typed("playbook", |r| if let Record::Playbook(p) = r { Some(p) } else { None }).await
    }

    pub async fn assets(&self) -> EngineResult<Vec<Asset>> {
        self.typed("asset", |r| if let Record::Asset(a) = r { Some(a) } else { None }).await
    }

    /// Every synced record, of every kind.
    pub async fn all_records(&self) -> EngineResult<Vec<Record>> {
        let rows = sqlx::query("SELECT body FROM records ORDER BY kind, id").fetch_all(&self.pool).await?;
        Ok(rows.iter().filter_map(|r| serde_json::from_str(r.get::<&str, _>("body")).ok()).collect())
    }

    pub async fn records(&self, kind: &str) -> EngineResult<Vec<Record>> {
        let rows =
            sqlx::query("SELECT body FROM records WHERE kind = ?").bind(kind).fetch_all(&self.pool).await?;
        Ok(rows.iter().filter_map(|r| serde_json::from_str(r.get::<&str, _>("body")).ok()).collect())
    }

    /// Stores statuses; with `replace`, statuses not in the list are dropped (a snapshot). An
    /// older status (a late or reordered delta) never overwrites a newer one.
    pub async fn save_statuses(&self, statuses: &[GroupStatus], replace: bool) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        if replace {
            sqlx::query("DELETE FROM statuses").execute(&mut *tx).await?;
        }
        for s in statuses {
            sqlx::query(
                "INSERT INTO statuses (group_id, session_id, body) VALUES (?, ?, ?) \
                 ON CONFLICT(group_id) DO UPDATE SET session_id = excluded.session_id, body = excluded.body \
                 WHERE julianday(json_extract(excluded.body, '$.at')) >= julianday(json_extract(statuses.body, '$.at'))",
            )
            .bind(&s.group_id)
            .bind(&s.session_id)
            .bind(serde_json::to_string(s).expect("statuses serialise"))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn statuses(&self) -> EngineResult<Vec<GroupStatus>> {
        let rows = sqlx::query("SELECT body FROM statuses").fetch_all(&self.pool).await?;
        Ok(rows.iter().filter_map(|r| serde_json::from_str(r.get::<&str, _>("body")).ok()).collect())
    }
}

/// Upserts records, deletes tombstoned ones and stores the cursor, inside the caller's transaction.
async fn apply_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    changes: &[Change],
    next_cursor: i64,
) -> EngineResult<()> {
    for c in changes {
        match &c.record {
            Some(record) => {
                sqlx::query(
                    "INSERT INTO records (kind, id, body) VALUES (?, ?, ?) \
                     ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
                )
                .bind(&c.kind)
                .bind(&c.id)
                .bind(serde_json::to_string(record).expect("records serialise"))
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM records WHERE kind = ? AND id = ?")
                    .bind(&c.kind)
                    .bind(&c.id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('sync_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(next_cursor.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(at: &str, orders: u32) -> GroupStatus {
        GroupStatus {
            group_id: "g1".into(),
            session_id: "s1".into(),
            at: chrono::DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono::Utc),
            watching: 10,
            messages_per_min: 1,
            orders,
            gmv_fen: 0,
        }
    }

    #[tokio::test]
    async fn an_older_status_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("c.sqlite")).await.unwrap();
        store.save_statuses(&[status("2026-12-05T11:30:00.5Z", 7)], false).await.unwrap();
        // Whole seconds sort before fractions as text; the comparison must be by time.
        store.save_statuses(&[status("2026-12-05T11:30:00Z", 3)], false).await.unwrap();
        assert_eq!(store.statuses().await.unwrap()[0].orders, 7);
        store.save_statuses(&[status("2026-12-05T11:30:01Z", 9)], false).await.unwrap();
        assert_eq!(store.statuses().await.unwrap()[0].orders, 9);
    }
}
