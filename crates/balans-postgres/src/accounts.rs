//! Users, API tokens and web sessions on PostgreSQL.

use balans_core::{Email, Moment, TokenInfo, User, UserId, UserRole};
use balans_store::store::{AccountStore, StoreResult};
use postgres::Row;

use crate::connection::{PostgresStore, corrupt, rows};

pub(crate) const USER_COLUMNS: &str = "id, email, role, password_hash, language";

pub(crate) fn user_row(row: &Row) -> StoreResult<User> {
    let email: String = row.get(1);
    let role: String = row.get(2);
    Ok(User {
        id: UserId(row.get(0)),
        email: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
        role: role.parse::<UserRole>().map_err(|_| corrupt("role"))?,
        password_hash: row.get(3),
        language: row.get(4),
    })
}

impl AccountStore for PostgresStore {
    fn users(&mut self) -> StoreResult<Vec<User>> {
        let found = self.query(
            "reading users",
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            &[],
        )?;
        rows(found, user_row)
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        self.query_opt(
            "reading a user",
            &format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"),
            &[&email.as_str()],
        )?
        .as_ref()
        .map(user_row)
        .transpose()
    }

    fn insert_user(
        &mut self,
        email: &Email,
        role: UserRole,
        password_hash: Option<&str>,
    ) -> StoreResult<UserId> {
        let row = self.query_opt(
            "adding a user",
            "INSERT INTO users (email, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
            &[&email.as_str(), &role.as_str(), &password_hash],
        )?;
        Ok(UserId(row.ok_or_else(|| corrupt("user id"))?.get(0)))
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        self.execute(
            "changing a user",
            "UPDATE users SET role = $2, password_hash = $3, language = $4 WHERE id = $1",
            &[
                &user.id.0,
                &user.role.as_str(),
                &user.password_hash,
                &user.language,
            ],
        )
        .map(drop)
    }

    fn remove_user(&mut self, user: UserId) -> StoreResult<()> {
        for sql in [
            "DELETE FROM tokens WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM idempotency WHERE user_id = $1",
            "DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE user_id = $1)",
            "DELETE FROM uploads WHERE user_id = $1",
            "DELETE FROM user_parties WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            self.execute("removing a user", sql, &[&user.0])?;
        }
        Ok(())
    }

    fn end_sessions_of(&mut self, user: UserId) -> StoreResult<()> {
        self.execute(
            "ending a user's sessions",
            "DELETE FROM sessions WHERE user_id = $1",
            &[&user.0],
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
        let row = self.query_opt(
            "adding a token",
            "INSERT INTO tokens (user_id, name, hash, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&user.0, &name, &&hash[..], &created.millis()],
        )?;
        Ok(row.ok_or_else(|| corrupt("token id"))?.get(0))
    }

    fn user_by_token(&mut self, hash: &[u8; 32]) -> StoreResult<Option<User>> {
        let found = self.query_opt(
            "checking a token",
            "SELECT u.id, u.email, u.role, u.password_hash, u.language, (SELECT n FROM catalog_version) \
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_ms IS NULL",
            &[&&hash[..]],
        )?;
        self.carry_version(found.as_ref(), 5);
        found.as_ref().map(user_row).transpose()
    }

    fn tokens(&mut self) -> StoreResult<Vec<TokenInfo>> {
        let found = self.query(
            "reading tokens",
            "SELECT t.id, u.email, t.name, t.created_ms, t.revoked_ms FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            &[],
        )?;
        rows(found, |r| {
            let email: String = r.get(1);
            Ok(TokenInfo {
                id: r.get(0),
                user: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
                name: r.get(2),
                created: Moment::from_millis(r.get(3)),
                revoked: r.get::<_, Option<i64>>(4).map(Moment::from_millis),
            })
        })
    }

    fn revoke_token(&mut self, id: i64, at: Moment) -> StoreResult<bool> {
        let changed = self.execute(
            "revoking a token",
            "UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at.millis()],
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
            "DELETE FROM sessions WHERE expires_ms < $1",
            &[&at.millis()],
        )?;
        self.execute(
            "starting a session",
            "INSERT INTO sessions (hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
            &[&&hash[..], &user.0, &at.millis(), &expires.millis()],
        )
        .map(drop)
    }

    fn user_by_session(&mut self, hash: &[u8; 32], at: Moment) -> StoreResult<Option<User>> {
        let found = self.query_opt(
            "checking a session",
            "SELECT u.id, u.email, u.role, u.password_hash, u.language, (SELECT n FROM catalog_version) \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_ms >= $2",
            &[&&hash[..], &at.millis()],
        )?;
        self.carry_version(found.as_ref(), 5);
        found.as_ref().map(user_row).transpose()
    }

    fn delete_session(&mut self, hash: &[u8; 32]) -> StoreResult<()> {
        self.execute(
            "ending a session",
            "DELETE FROM sessions WHERE hash = $1",
            &[&&hash[..]],
        )
        .map(drop)
    }
}
