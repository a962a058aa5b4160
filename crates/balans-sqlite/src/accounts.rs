//! Users, API tokens and web sessions on SQLite; the users of valid tokens are
//! kept by the connection.

use balans_core::{Email, Moment, TokenInfo, User, UserId, UserRole};
use balans_store::store::{AccountStore, StoreResult};
use rusqlite::{Row, params};

use crate::connection::{SqliteStore, TOKEN_CACHE_MAX, corrupt};

const USER_COLUMNS: &str = "id, email, role, password_hash, language";

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let email: String = row.get(1)?;
    let role: String = row.get(2)?;
    Ok(User {
        id: UserId(row.get(0)?),
        email: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
        role: role.parse::<UserRole>().map_err(|_| corrupt("role"))?,
        password_hash: row.get(3)?,
        language: row.get(4)?,
    })
}

impl AccountStore for SqliteStore {
    fn users(&mut self) -> StoreResult<Vec<User>> {
        self.query(
            "reading users",
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            [],
            user_row,
        )
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        self.query_one(
            "reading a user",
            &format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
            [email.as_str()],
            user_row,
        )
    }

    fn insert_user(
        &mut self,
        email: &Email,
        role: UserRole,
        password_hash: Option<&str>,
    ) -> StoreResult<UserId> {
        self.cache.tokens.clear();
        self.execute(
            "adding a user",
            "INSERT INTO users (email, role, password_hash) VALUES (?1, ?2, ?3)",
            params![email.as_str(), role.as_str(), password_hash],
        )?;
        Ok(UserId(self.connection.last_insert_rowid()))
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        self.cache.tokens.clear();
        self.execute(
            "changing a user",
            "UPDATE users SET role = ?2, password_hash = ?3, language = ?4 WHERE id = ?1",
            params![
                user.id.0,
                user.role.as_str(),
                user.password_hash,
                user.language
            ],
        )
        .map(drop)
    }

    fn remove_user(&mut self, user: UserId) -> StoreResult<()> {
        self.cache.tokens.clear();
        for sql in [
            "DELETE FROM tokens WHERE user_id = ?1",
            "DELETE FROM sessions WHERE user_id = ?1",
            "DELETE FROM idempotency WHERE user_id = ?1",
            "DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE user_id = ?1)",
            "DELETE FROM uploads WHERE user_id = ?1",
            "DELETE FROM user_parties WHERE user_id = ?1",
            "DELETE FROM users WHERE id = ?1",
        ] {
            self.execute("removing a user", sql, [user.0])?;
        }
        Ok(())
    }

    fn end_sessions_of(&mut self, user: UserId) -> StoreResult<()> {
        self.execute(
            "ending a user's sessions",
            "DELETE FROM sessions WHERE user_id = ?1",
            [user.0],
        )
        .map(drop)
    }

    fn insert_token(
        &mut self,
        user: UserId,
        name: &str,
        hash: &[u8; 32],
        created: Moment,
    ) -> StoreResult<i64> {
        self.cache.tokens.clear();
        self.execute(
            "adding a token",
            "INSERT INTO tokens (user_id, name, hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![user.0, name, &hash[..], created.millis()],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    fn user_by_token(&mut self, hash: &[u8; 32]) -> StoreResult<Option<User>> {
        self.refresh_cache_at(false)?;
        if let Some(user) = self.cache.tokens.get(hash) {
            return Ok(Some(user.clone()));
        }
        let user = self.query_one(
            "checking a token",
            &format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_ms IS NULL)"
            ),
            [&hash[..]],
            user_row,
        )?;
        // Only tokens that work are kept: unknown ones could fill the cache.
        if let Some(user) = &user {
            if self.cache.tokens.len() >= TOKEN_CACHE_MAX {
                self.cache.tokens.clear();
            }
            self.cache.tokens.insert(*hash, user.clone());
        }
        Ok(user)
    }

    fn tokens(&mut self) -> StoreResult<Vec<TokenInfo>> {
        self.query(
            "reading tokens",
            "SELECT t.id, u.email, t.name, t.created_ms, t.revoked_ms FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            [],
            |r| {
                let email: String = r.get(1)?;
                Ok(TokenInfo {
                    id: r.get(0)?,
                    user: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
                    name: r.get(2)?,
                    created: Moment::from_millis(r.get(3)?),
                    revoked: r.get::<_, Option<i64>>(4)?.map(Moment::from_millis),
                })
            },
        )
    }

    fn revoke_token(&mut self, id: i64, at: Moment) -> StoreResult<bool> {
        self.cache.tokens.clear();
        let changed = self.execute(
            "revoking a token",
            "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, at.millis()],
        )?;
        Ok(changed == 1)
    }

    fn insert_session(
        &mut self,
        user: UserId,
        hash: &[u8; 32],
        at: Moment,
        expires: Moment,
    ) -> StoreResult<()> {
        self.execute(
            "forgetting expired sessions",
            "DELETE FROM sessions WHERE expires_ms < ?1",
            [at.millis()],
        )?;
        self.execute(
            "starting a session",
            "INSERT INTO sessions (hash, user_id, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
            params![&hash[..], user.0, at.millis(), expires.millis()],
        )?;
        Ok(())
    }

    fn user_by_session(&mut self, hash: &[u8; 32], at: Moment) -> StoreResult<Option<User>> {
        self.query_one(
            "checking a session",
            &format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM sessions WHERE hash = ?1 AND expires_ms >= ?2)"
            ),
            params![&hash[..], at.millis()],
            user_row,
        )
    }

    fn delete_session(&mut self, hash: &[u8; 32]) -> StoreResult<()> {
        self.execute(
            "ending a session",
            "DELETE FROM sessions WHERE hash = ?1",
            [&hash[..]],
        )?;
        Ok(())
    }
}
