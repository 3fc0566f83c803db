// SPDX-License-Identifier: MPL-2.0
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The key from the KeyProvider does not open this database.
    #[error("the database key does not match this database")]
    WrongKey,
    /// A sealed payload failed authentication: corrupted or tampered row.
    #[error("row {id} is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
    /// The database was written by a newer app version.
    #[error("database schema {found} is newer than this app ({supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("the disk is full")]
    DiskFull,
    #[error("no queue item {0}")]
    NotFound(String),
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("key must be 32 bytes, got {0}")]
    BadKeyLength(usize),
}

impl From<houmon_migrate::MigrateError> for StoreError {
    fn from(e: houmon_migrate::MigrateError) -> Self {
        match e {
            houmon_migrate::MigrateError::TooNew { found, supported, .. } => {
                StoreError::TooNew { found, supported }
            }
            houmon_migrate::MigrateError::Step { source, .. } => source.into(),
            houmon_migrate::MigrateError::Sqlite(e) => e.into(),
            // Only the server's PostgreSQL has another engine.
            houmon_migrate::MigrateError::Engine { reason, .. } => {
                StoreError::Corrupt { id: "schema".into(), reason }
            }
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => {
                StoreError::DiskFull
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl StoreError {
    /// What staff see.
    pub fn staff_message(&self) -> String {
        match self {
            StoreError::WrongKey => "端末内のデータを開けません(鍵が一致しません)。管理者に連絡してください。データは削除しないでください。".into(),
            StoreError::Corrupt { .. } => "保存された記録の一部が壊れています。この記録は送信を保留しました。管理者に連絡してください。".into(),
            StoreError::TooNew { .. } => "アプリのバージョンが古いため記録を開けません。アプリを更新してください。".into(),
            StoreError::DiskFull => "端末の空き容量が足りません。不要なデータを削除してから、もう一度保存してください。記録はまだ保存されていません。".into(),
            StoreError::NotFound(_) => "記録が見つかりません。一覧を更新してください。".into(),
            StoreError::Sqlite(_) | StoreError::BadKeyLength(_) => {
                "端末内のデータベースでエラーが起きました。もう一度お試しください。続く場合は管理者に連絡してください。".into()
            }
        }
    }
}
