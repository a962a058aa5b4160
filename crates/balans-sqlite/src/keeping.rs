//! Idempotent responses and uploads on SQLite.

use balans_core::{Moment, UserId};
use balans_store::store::{KeepingStore, SavedResponse, StoreResult};
use rusqlite::params;

use crate::connection::{SqliteStore, corrupt};

impl KeepingStore for SqliteStore {
    fn idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<SavedResponse>> {
        self.query_one(
            "reading a saved response",
            "SELECT fingerprint, status, body FROM idempotency WHERE user_id = ?1 AND key = ?2",
            params![user.0, key],
            |r| {
                let fingerprint: Vec<u8> = r.get(0)?;
                Ok(SavedResponse {
                    fingerprint: fingerprint.try_into().map_err(|_| corrupt("fingerprint"))?,
                    status: r.get(1)?,
                    body: r.get(2)?,
                })
            },
        )
    }

    fn save_idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
        response: &SavedResponse,
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<()> {
        self.execute(
            "forgetting saved responses",
            "DELETE FROM idempotency WHERE created_ms < ?1",
            [forget_before.millis()],
        )?;
        self.execute(
            "saving a response",
            "INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user.0, key, &response.fingerprint[..], response.status, response.body, at.millis()],
        )
        .map(drop)
    }

    fn insert_upload(
        &mut self,
        user: UserId,
        name: &str,
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<i64> {
        self.execute(
            "forgetting old uploads",
            "DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE created_ms < ?1)",
            [forget_before.millis()],
        )?;
        self.execute(
            "forgetting old uploads",
            "DELETE FROM uploads WHERE created_ms < ?1",
            [forget_before.millis()],
        )?;
        self.execute(
            "keeping an upload",
            "INSERT INTO uploads (user_id, name, created_ms) VALUES (?1, ?2, ?3)",
            params![user.0, name, at.millis()],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    fn add_upload_part(&mut self, id: i64, n: i64, bytes: &[u8]) -> StoreResult<()> {
        self.execute(
            "keeping an upload",
            "INSERT INTO upload_parts (upload_id, n, bytes) VALUES (?1, ?2, ?3)",
            params![id, n, bytes],
        )?;
        Ok(())
    }

    fn upload(&mut self, id: i64, user: UserId) -> StoreResult<Option<String>> {
        self.query_one(
            "reading an upload",
            "SELECT name FROM uploads WHERE id = ?1 AND user_id = ?2",
            params![id, user.0],
            |r| r.get(0),
        )
    }

    fn upload_part(&mut self, id: i64, n: i64) -> StoreResult<Option<Vec<u8>>> {
        self.query_one(
            "reading an upload",
            "SELECT bytes FROM upload_parts WHERE upload_id = ?1 AND n = ?2",
            params![id, n],
            |r| r.get(0),
        )
    }

    fn delete_upload(&mut self, id: i64) -> StoreResult<()> {
        self.execute(
            "forgetting an upload",
            "DELETE FROM upload_parts WHERE upload_id = ?1",
            [id],
        )?;
        self.execute(
            "forgetting an upload",
            "DELETE FROM uploads WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }
}
