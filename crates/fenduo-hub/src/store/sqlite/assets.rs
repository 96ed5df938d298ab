//! Asset rows. The files themselves are in the asset folder ([`crate::assets::AssetStore`]); a
//! row is inserted only once its file is in place.

use chrono::Utc;
use fenduo_proto::{Asset, Record};
use sqlx::{SqliteConnection, SqlitePool};

use super::sync::record_change;
use crate::error::HubResult;
use crate::store::ts;

type AssetRow = (String, i64, String, String);

fn asset_from_row((sha256, size, mime, name): AssetRow) -> Asset {
    Asset { sha256, size: size as u64, mime, name }
}

pub(super) async fn asset(pool: &SqlitePool, sha256: &str) -> HubResult<Option<Asset>> {
    let row: Option<AssetRow> =
        sqlx::query_as("SELECT sha256, size, mime, name FROM assets WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(asset_from_row))
}

pub(super) async fn insert_asset(pool: &SqlitePool, asset: &Asset) -> HubResult<(Asset, bool)> {
    let mut tx = pool.begin().await?;
    let result = insert_asset_tx(&mut tx, asset).await?;
    tx.commit().await?;
    Ok(result)
}

/// Inserts an asset row with its change-log entry unless it exists; returns the stored row and
/// whether it is new.
pub(super) async fn insert_asset_tx(conn: &mut SqliteConnection, asset: &Asset) -> HubResult<(Asset, bool)> {
    let inserted = sqlx::query(
        "INSERT INTO assets (sha256, size, mime, name, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT(sha256) DO NOTHING",
    )
    .bind(&asset.sha256)
    .bind(asset.size as i64)
    .bind(&asset.mime)
    .bind(&asset.name)
    .bind(ts(Utc::now()))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        record_change(conn, &Record::Asset(asset.clone()), None, None).await?;
        return Ok((asset.clone(), true));
    }
    let row: AssetRow = sqlx::query_as("SELECT sha256, size, mime, name FROM assets WHERE sha256 = ?")
        .bind(&asset.sha256)
        .fetch_one(&mut *conn)
        .await?;
    Ok((asset_from_row(row), false))
}
