//! Groups: upserts, the directory, deletion with a tombstone, and roster import.

use chrono::Utc;
use fenduo_proto::{Group, Record, User};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::sync::{record_change, record_tombstone};
use super::{group_meta_from_row, placeholders};
use crate::auth::NO_PASSWORD;
use crate::error::{HubError, HubResult};
use crate::store::{ts, GroupMeta};

/// Upserting a group may move it to another region (administration); an import may not.
const UPSERT_GROUP: &str = "INSERT INTO wechat_groups (id, region_id, name, leader_name, ops_officer, \
     atmosphere_officer, member_count, distributor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT(id) DO UPDATE SET region_id = excluded.region_id, name = excluded.name, \
     leader_name = excluded.leader_name, ops_officer = excluded.ops_officer, \
     atmosphere_officer = excluded.atmosphere_officer, member_count = excluded.member_count, \
     distributor_id = excluded.distributor_id";
const IMPORT_GROUP: &str = "INSERT INTO wechat_groups (id, region_id, name, leader_name, ops_officer, \
     atmosphere_officer, member_count, distributor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT(id) DO UPDATE SET name = excluded.name, \
     leader_name = excluded.leader_name, ops_officer = excluded.ops_officer, \
     atmosphere_officer = excluded.atmosphere_officer, member_count = excluded.member_count, \
     distributor_id = excluded.distributor_id";

/// Writes one group with `sql` (one of the two above) and its change-log entry.
async fn write_group(conn: &mut SqliteConnection, sql: &str, g: &Group) -> HubResult<()> {
    sqlx::query(sql)
        .bind(&g.id)
        .bind(&g.region_id)
        .bind(&g.name)
        .bind(&g.leader_name)
        .bind(&g.ops_officer)
        .bind(&g.atmosphere_officer)
        .bind(g.member_count)
        .bind(&g.distributor_id)
        .execute(&mut *conn)
        .await?;
    record_change(conn, &Record::Group(g.clone()), Some(&g.region_id), Some(&g.distributor_id)).await
}

pub(super) async fn upsert_groups(pool: &SqlitePool, groups: &[Group]) -> HubResult<()> {
    let mut tx = pool.begin().await?;
    for g in groups {
        write_group(&mut tx, UPSERT_GROUP, g).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn group_directory(pool: &SqlitePool) -> HubResult<Vec<(String, GroupMeta)>> {
    let rows = sqlx::query("SELECT id, region_id, distributor_id FROM wechat_groups").fetch_all(pool).await?;
    Ok(rows.iter().map(|r| (r.get("id"), group_meta_from_row(r))).collect())
}

pub(super) async fn delete_group(pool: &SqlitePool, id: &str) -> HubResult<Option<GroupMeta>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let row = sqlx::query("SELECT region_id, distributor_id FROM wechat_groups WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let meta = group_meta_from_row(&row);
    sqlx::query("DELETE FROM group_status WHERE group_id = ?").bind(id).execute(&mut *tx).await?;
    // Notes written about the group still name it (for replay): refuse rather than fail.
    sqlx::query("DELETE FROM wechat_groups WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(|e| {
        match e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => HubError::Conflict(format!(
                "group {id} is named by records kept for replay (notes); it cannot be deleted"
            )),
            e => e.into(),
        }
    })?;
    record_tombstone(&mut tx, "group", id, Some(&meta.region_id), Some(&meta.distributor_id)).await?;
    tx.commit().await?;
    Ok(Some(meta))
}

pub(super) async fn region_distributors(pool: &SqlitePool, region_id: &str) -> HubResult<Vec<User>> {
    let rows = sqlx::query(
        "SELECT id, username, display_name, role, region_id FROM users \
         WHERE role = 'distributor' AND region_id = ?",
    )
    .bind(region_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(super::user_from_row).collect()
}

pub(super) async fn groups_by_id(pool: &SqlitePool, ids: &[&str]) -> HubResult<Vec<Group>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500).filter(|c| !c.is_empty()) {
        let sql = format!(
            "SELECT g.*, u.display_name AS distributor_name FROM wechat_groups g \
             JOIN users u ON u.id = g.distributor_id WHERE g.id IN {}",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(pool).await? {
            out.push(Group {
                id: r.get("id"),
                region_id: r.get("region_id"),
                name: r.get("name"),
                leader_name: r.get("leader_name"),
                ops_officer: r.get("ops_officer"),
                atmosphere_officer: r.get("atmosphere_officer"),
                member_count: r.get::<i64, _>("member_count") as u32,
                distributor_id: r.get("distributor_id"),
                distributor_name: r.get("distributor_name"),
            });
        }
    }
    Ok(out)
}

pub(super) async fn import_roster(
    pool: &SqlitePool,
    new_distributors: &[User],
    groups: &[Group],
) -> HubResult<()> {
    let mut tx = pool.begin().await?;
    for u in new_distributors {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, role, region_id, password_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.id)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.region_id)
        .bind(NO_PASSWORD)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
        // Like any new account, it syncs to the region's staff (and to the distributor itself).
        record_change(&mut tx, &Record::User(u.clone()), u.region_id.as_deref(), Some(&u.id)).await?;
    }
    for g in groups {
        write_group(&mut tx, IMPORT_GROUP, g).await?;
    }
    tx.commit().await?;
    Ok(())
}
