//! Regions, users and their login tokens.

use chrono::{DateTime, Utc};
use fenduo_proto::{Record, Region, Role, User};
use sqlx::{Row, SqlitePool};

use super::sync::record_change;
use super::user_from_row;
use crate::error::{HubError, HubResult};
use crate::store::{ts, Credentials, NATIONAL_ONLY};

pub(super) async fn upsert_region(pool: &SqlitePool, region: &Region) -> HubResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO regions (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
    )
    .bind(&region.id)
    .bind(&region.name)
    .execute(&mut *tx)
    .await?;
    record_change(&mut tx, &Record::Region(region.clone()), Some(&region.id), None).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn region(pool: &SqlitePool, id: &str) -> HubResult<Option<Region>> {
    let row = sqlx::query("SELECT id, name FROM regions WHERE id = ?").bind(id).fetch_optional(pool).await?;
    Ok(row.map(|r| Region { id: r.get("id"), name: r.get("name") }))
}

pub(super) async fn insert_user(pool: &SqlitePool, user: &User, password_hash: &str) -> HubResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, region_id, password_hash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(user.role.as_str())
    .bind(&user.region_id)
    .bind(password_hash)
    .bind(ts(Utc::now()))
    .execute(&mut *tx)
    .await
    .map_err(|e| match HubError::from(e) {
        // Say which key was taken rather than the generic conflict.
        HubError::Conflict(_) => HubError::Conflict(format!("username {:?} is taken", user.username)),
        e => e,
    })?;
    // A distributor's account is for the region's staff to see, not for other distributors.
    let distributor = (user.role == Role::Distributor).then_some(user.id.as_str());
    // National accounts (no region) are listed only to national admins: a NULL region would
    // show them, usernames included, to every region.
    let region = user.region_id.as_deref().unwrap_or(NATIONAL_ONLY);
    record_change(&mut tx, &Record::User(user.clone()), Some(region), distributor).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn set_password(pool: &SqlitePool, username: &str, password_hash: &str) -> HubResult<bool> {
    let mut tx = pool.begin().await?;
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(id) = id else { return Ok(false) };
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // A new password ends every session of the old one.
    sqlx::query("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
        .bind(ts(Utc::now()))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn credentials(pool: &SqlitePool, username: &str) -> HubResult<Option<Credentials>> {
    let row = sqlx::query(
        "SELECT id, username, display_name, role, region_id, password_hash FROM users WHERE username = ?",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok(Credentials { password_hash: r.get("password_hash"), user: user_from_row(&r)? }))
        .transpose()
}

pub(super) async fn user_count(pool: &SqlitePool) -> HubResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?)
}

pub(super) async fn insert_token(
    pool: &SqlitePool,
    token_hash: &str,
    user_id: &str,
    expires_at: DateTime<Utc>,
) -> HubResult<()> {
    sqlx::query("INSERT INTO tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(token_hash)
        .bind(user_id)
        .bind(ts(Utc::now()))
        .bind(ts(expires_at))
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn user_for_token(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> HubResult<Option<User>> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.role, u.region_id FROM tokens t \
         JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    row.map(|r| user_from_row(&r)).transpose()
}

pub(super) async fn revoke_token(pool: &SqlitePool, token_hash: &str) -> HubResult<()> {
    sqlx::query("UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
        .bind(ts(Utc::now()))
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}
