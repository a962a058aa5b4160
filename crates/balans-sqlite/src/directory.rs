//! The directory on SQLite: parties and memberships, kept by the connection
//! between requests until they change.

use balans_core::{Membership, Moment, Party, PartyFields, PartyId, PartyKey, PartyKind, Role};
use balans_store::store::{DirectoryStore, StoreResult};
use rusqlite::{Row, params};

use crate::connection::{SqliteStore, backend, corrupt};

pub(crate) const PARTY_COLUMNS: &str = "id, key, kind, name, email, phone, note";

pub(crate) fn party_row(row: &Row<'_>) -> rusqlite::Result<Party> {
    let key: String = row.get(1)?;
    let kind: String = row.get(2)?;
    Ok(Party {
        id: PartyId(row.get(0)?),
        fields: PartyFields {
            key: PartyKey::parse(&key).map_err(|_| corrupt("party key"))?,
            kind: kind
                .parse::<PartyKind>()
                .map_err(|_| corrupt("party kind"))?,
            name: row.get(3)?,
            email: row.get(4)?,
            phone: row.get(5)?,
            note: row.get(6)?,
        },
    })
}

/// A party's id, key and kind, from `SELECT id, key, kind`.
fn party_key_row(row: &Row<'_>) -> rusqlite::Result<(PartyId, PartyKey, PartyKind)> {
    let key = row.get_ref(1)?.as_str()?;
    let kind = row.get_ref(2)?.as_str()?;
    Ok((
        PartyId(row.get(0)?),
        PartyKey::parse(key).map_err(|_| corrupt("party key"))?,
        kind.parse::<PartyKind>()
            .map_err(|_| corrupt("party kind"))?,
    ))
}

pub(crate) fn membership_row(row: &Row<'_>) -> rusqlite::Result<Membership> {
    let role: String = row.get(2)?;
    Ok(Membership {
        person: PartyId(row.get(0)?),
        organization: PartyId(row.get(1)?),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        from: Moment::from_millis(row.get(3)?),
        until: row.get::<_, Option<i64>>(4)?.map(Moment::from_millis),
    })
}

impl SqliteStore {
    /// The parties whose `column` (key or id) is one of `values`, read from the
    /// store and remembered.
    fn read_parties(
        &mut self,
        column: &str,
        values: Vec<rusqlite::types::Value>,
    ) -> StoreResult<Vec<Party>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let read = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties WHERE {column} IN rarray(?1)"),
            [std::rc::Rc::new(values)],
            party_row,
        )?;
        self.cache.directory.keep_parties(&read);
        Ok(read)
    }
}

impl DirectoryStore for SqliteStore {
    fn parties(&mut self) -> StoreResult<Vec<Party>> {
        self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties ORDER BY id"),
            [],
            party_row,
        )
    }

    fn for_each_party_key(
        &mut self,
        each: &mut dyn FnMut(PartyId, PartyKey, PartyKind),
    ) -> StoreResult<()> {
        let context = "reading parties";
        // Every party is read once, in the order of the table.
        self.scanning(context, |store| {
            let mut statement = store
                .connection
                .prepare_cached("SELECT id, key, kind FROM parties ORDER BY id")
                .map_err(backend(context))?;
            let mut rows = statement.query([]).map_err(backend(context))?;
            while let Some(row) = rows.next().map_err(backend(context))? {
                let (id, key, kind) = party_key_row(row).map_err(backend(context))?;
                each(id, key, kind);
            }
            Ok(())
        })
    }

    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_keys(&[key.as_str()])?.pop())
    }

    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_ids(&[id])?.pop())
    }

    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.parties_by_keys(keys);
        let values = missing
            .iter()
            .map(|k| rusqlite::types::Value::Text(k.to_string()))
            .collect();
        found.extend(self.read_parties("key", values)?);
        Ok(found)
    }

    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.parties_by_ids(ids);
        let values = missing
            .iter()
            .map(|id| rusqlite::types::Value::Integer(id.0))
            .collect();
        found.extend(self.read_parties("id", values)?);
        Ok(found)
    }

    fn insert_party(&mut self, f: &PartyFields) -> StoreResult<PartyId> {
        self.cache.clear();
        self.execute(
            "adding a party",
            "INSERT INTO parties (key, kind, name, email, phone, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![f.key.as_str(), f.kind.as_str(), f.name, f.email, f.phone, f.note],
        )?;
        Ok(PartyId(self.connection.last_insert_rowid()))
    }

    fn update_party(&mut self, id: PartyId, f: &PartyFields) -> StoreResult<()> {
        self.cache.clear();
        self.execute(
            "changing a party",
            "UPDATE parties SET name = ?2, email = ?3, phone = ?4, note = ?5 WHERE id = ?1",
            params![id.0, f.name, f.email, f.phone, f.note],
        )
        .map(drop)
    }

    fn party_count(&mut self) -> StoreResult<u64> {
        self.query_one(
            "counting parties",
            "SELECT COUNT(*) FROM parties",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.unwrap_or(0) as u64)
    }

    fn find_parties(
        &mut self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Party>> {
        // LIKE with its wildcards escaped: a search for "50%" finds "50%".
        let pattern = search.map(|s| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        self.query(
            "listing parties",
            &format!(
                "SELECT {PARTY_COLUMNS} FROM parties \
                 WHERE (?1 IS NULL OR key LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\') AND (?2 IS NULL OR key > ?2) \
                 ORDER BY key LIMIT ?3"
            ),
            params![pattern, after, limit as i64],
            party_row,
        )
    }

    fn memberships(&mut self) -> StoreResult<Vec<Membership>> {
        self.query(
            "reading memberships",
            "SELECT person, organization, role, from_ms, until_ms FROM memberships ORDER BY person, from_ms, organization",
            [],
            membership_row,
        )
    }

    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>> {
        self.memberships_of_many(&[person])
    }

    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.memberships_of(persons);
        if !missing.is_empty() {
            let values: Vec<rusqlite::types::Value> = missing
                .iter()
                .map(|id| rusqlite::types::Value::Integer(id.0))
                .collect();
            let read = self.query(
                "reading memberships",
                "SELECT person, organization, role, from_ms, until_ms FROM memberships WHERE person IN rarray(?1) \
                 ORDER BY person, from_ms, organization",
                [std::rc::Rc::new(values)],
                membership_row,
            )?;
            self.cache.directory.keep_memberships(&missing, &read);
            found.extend(read);
        }
        Ok(found)
    }

    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>> {
        self.query(
            "reading memberships",
            "SELECT person, organization, role, from_ms, until_ms FROM memberships WHERE organization = +?1 ORDER BY from_ms, person",
            [organization.0],
            membership_row,
        )
    }

    fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.cache.clear();
        self.execute(
            "writing a membership",
            "INSERT INTO memberships (person, organization, role, from_ms, until_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = excluded.role, until_ms = excluded.until_ms",
            params![m.person.0, m.organization.0, m.role.as_str(), m.from.millis(), m.until.map(Moment::millis)],
        )
        .map(drop)
    }
}
