//! The directory on PostgreSQL: parties and memberships, kept by the connection
//! while `catalog_version` holds, written in one `UNNEST` statement per chunk.

use std::collections::HashMap;

use balans_core::{Membership, Moment, Party, PartyFields, PartyId, PartyKey, PartyKind, Role};
use balans_store::store::{DirectoryStore, StoreResult};
use postgres::Row;
use postgres::types::ToSql;

use crate::connection::{PostgresStore, ROWS_PER_STATEMENT, corrupt, pg_error, rows};

pub(crate) const PARTY_COLUMNS: &str = "id, key, kind, name, email, phone, note";

/// [`PARTY_COLUMNS`] of the table named `p`.
const PARTY_COLUMNS_OF_P: &str = "p.id, p.key, p.kind, p.name, p.email, p.phone, p.note";

pub(crate) fn party_row(row: &Row) -> StoreResult<Party> {
    party_row_at(row, 0)
}

/// A party from [`PARTY_COLUMNS`], the first at column `at`.
fn party_row_at(row: &Row, at: usize) -> StoreResult<Party> {
    let key: String = row.get(at + 1);
    let kind: String = row.get(at + 2);
    Ok(Party {
        id: PartyId(row.get(at)),
        fields: PartyFields {
            key: PartyKey::parse(&key).map_err(|_| corrupt("party key"))?,
            kind: kind
                .parse::<PartyKind>()
                .map_err(|_| corrupt("party kind"))?,
            name: row.get(at + 3),
            email: row.get(at + 4),
            phone: row.get(at + 5),
            note: row.get(at + 6),
        },
    })
}

pub(crate) const MEMBERSHIP_COLUMNS: &str = "person, organization, role, from_ms, until_ms";

pub(crate) fn membership_row(row: &Row) -> StoreResult<Membership> {
    let role: String = row.get(2);
    Ok(Membership {
        person: PartyId(row.get(0)),
        organization: PartyId(row.get(1)),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        from: Moment::from_millis(row.get(3)),
        until: row.get::<_, Option<i64>>(4).map(Moment::from_millis),
    })
}

impl PostgresStore {
    /// The parties whose `column` (key or id) is one of `values`, read and kept.
    pub(crate) fn read_parties<T: ToSql + Sync>(
        &mut self,
        column: &str,
        values: &[T],
    ) -> StoreResult<Vec<Party>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties WHERE {column} = ANY($1)"),
            &[&values],
        )?;
        let read = rows(found, party_row)?;
        self.directory.keep_parties(&read);
        Ok(read)
    }

    /// The parties whose `column` (key or id) is one of `values`, when some
    /// are not kept and the catalog's version would take a trip of its own:
    /// read with the version in one, and kept, those kept before forgotten if
    /// it has moved on. A balance read of two parties not kept took three
    /// trips before (version, parties, balance), 0.5 ms on average among
    /// 200,000 parties and over 1 ms for one in a hundred.
    fn read_parties_fresh<T: ToSql + Sync>(
        &mut self,
        column: &str,
        values: &[T],
    ) -> StoreResult<Vec<Party>> {
        let found = self.query(
            "reading parties",
            &format!(
                "SELECT v.n, {PARTY_COLUMNS_OF_P} FROM catalog_version v \
                 LEFT JOIN parties p ON p.{column} = ANY($1)"
            ),
            &[&values],
        )?;
        let version: i64 = found
            .first()
            .ok_or_else(|| corrupt("catalog version"))?
            .get(0);
        self.directory_at(version);
        let read = found
            .iter()
            .filter(|row| row.get::<_, Option<i64>>(1).is_some())
            .map(|row| party_row_at(row, 1))
            .collect::<StoreResult<Vec<Party>>>()?;
        self.directory.keep_parties(&read);
        Ok(read)
    }
}

impl DirectoryStore for PostgresStore {
    fn parties(&mut self) -> StoreResult<Vec<Party>> {
        let found = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties ORDER BY id"),
            &[],
        )?;
        rows(found, party_row)
    }

    fn for_each_party_key(
        &mut self,
        each: &mut dyn FnMut(PartyId, PartyKey, PartyKind),
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let context = "reading parties";
        let statement = self.statement(context, "SELECT id, key, kind FROM parties ORDER BY id")?;
        let mut rows = self
            .client
            .query_raw(&statement, std::iter::empty::<i64>())
            .map_err(pg_error(context))?;
        while let Some(row) = rows.next().map_err(pg_error(context))? {
            let key: &str = row.get(1);
            let kind: &str = row.get(2);
            each(
                PartyId(row.get(0)),
                PartyKey::parse(key).map_err(|_| corrupt("party key"))?,
                kind.parse::<PartyKind>()
                    .map_err(|_| corrupt("party kind"))?,
            );
        }
        Ok(())
    }

    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_keys(&[key.as_str()])?.pop())
    }

    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_ids(&[id])?.pop())
    }

    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if !self.version_at_hand() && !self.directory.holds_keys(keys) {
            return self.read_parties_fresh("key", keys);
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.parties_by_keys(keys);
        found.extend(self.read_parties("key", &missing)?);
        Ok(found)
    }

    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if !self.version_at_hand() && !self.directory.holds_ids(ids) {
            let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
            return self.read_parties_fresh("id", &ids);
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.parties_by_ids(ids);
        let missing: Vec<i64> = missing.iter().map(|p| p.0).collect();
        found.extend(self.read_parties("id", &missing)?);
        Ok(found)
    }

    fn insert_party(&mut self, f: &PartyFields) -> StoreResult<PartyId> {
        self.kept_changed();
        let row = self.query_opt(
            "adding a party",
            "INSERT INTO parties (key, kind, name, email, phone, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&f.key.as_str(), &f.kind.as_str(), &f.name, &f.email, &f.phone, &f.note],
        )?;
        Ok(PartyId(row.ok_or_else(|| corrupt("party id"))?.get(0)))
    }

    fn insert_parties(&mut self, parties: &[PartyFields]) -> StoreResult<Vec<PartyId>> {
        if parties.is_empty() {
            return Ok(Vec::new());
        }
        self.kept_changed();
        let mut ids = Vec::with_capacity(parties.len());
        for chunk in parties.chunks(ROWS_PER_STATEMENT) {
            let column = |f: fn(&PartyFields) -> Option<&str>| -> Vec<Option<&str>> {
                chunk.iter().map(f).collect()
            };
            let keys = column(|p| Some(p.key.as_str()));
            let kinds = column(|p| Some(p.kind.as_str()));
            let names = column(|p| Some(p.name.as_str()));
            let emails = column(|p| p.email.as_deref());
            let phones = column(|p| p.phone.as_deref());
            let notes = column(|p| p.note.as_deref());
            // Ids come back by key: RETURNING promises no order.
            let by_key: HashMap<String, i64> = self
                .query(
                    "adding parties",
                    "INSERT INTO parties (key, kind, name, email, phone, note) \
                     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                     RETURNING key, id",
                    &[&keys, &kinds, &names, &emails, &phones, &notes],
                )?
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            for party in chunk {
                let id = by_key
                    .get(party.key.as_str())
                    .ok_or_else(|| corrupt("party id"))?;
                ids.push(PartyId(*id));
            }
        }
        Ok(ids)
    }

    fn update_party(&mut self, id: PartyId, f: &PartyFields) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "changing a party",
            "UPDATE parties SET name = $2, email = $3, phone = $4, note = $5 WHERE id = $1",
            &[&id.0, &f.name, &f.email, &f.phone, &f.note],
        )
        .map(drop)
    }

    fn party_count(&mut self) -> StoreResult<u64> {
        self.count("counting parties", "SELECT COUNT(*) FROM parties")
    }

    fn find_parties(
        &mut self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Party>> {
        // LIKE with its wildcards escaped: a search for "50%" finds "50%". SQLite's
        // LIKE ignores the case of ASCII letters, and so does ILIKE.
        let pattern = search.map(|s| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let found = self.query(
            "listing parties",
            &format!(
                "SELECT {PARTY_COLUMNS} FROM parties \
                 WHERE ($1::text IS NULL OR key ILIKE $1 ESCAPE '\\' OR name ILIKE $1 ESCAPE '\\') AND ($2::text IS NULL OR key > $2) \
                 ORDER BY key LIMIT $3"
            ),
            &[&pattern, &after, &(limit as i64)],
        )?;
        rows(found, party_row)
    }

    fn memberships(&mut self) -> StoreResult<Vec<Membership>> {
        let found = self.query(
            "reading memberships",
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships ORDER BY person, from_ms, organization"),
            &[],
        )?;
        rows(found, membership_row)
    }

    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>> {
        self.memberships_of_many(&[person])
    }

    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>> {
        if persons.is_empty() {
            return Ok(Vec::new());
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.memberships_of(persons);
        if !missing.is_empty() {
            let ids: Vec<i64> = missing.iter().map(|p| p.0).collect();
            let read = self.query(
                "reading memberships",
                &format!(
                    "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE person = ANY($1) ORDER BY person, from_ms, organization"
                ),
                &[&ids],
            )?;
            let read = rows(read, membership_row)?;
            self.directory.keep_memberships(&missing, &read);
            found.extend(read);
        }
        Ok(found)
    }

    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>> {
        let found = self.query(
            "reading memberships",
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE organization = $1 ORDER BY from_ms, person"),
            &[&organization.0],
        )?;
        rows(found, membership_row)
    }

    fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "writing a membership",
            "INSERT INTO memberships (person, organization, role, from_ms, until_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = EXCLUDED.role, until_ms = EXCLUDED.until_ms",
            &[&m.person.0, &m.organization.0, &m.role.as_str(), &m.from.millis(), &m.until.map(Moment::millis)],
        )
        .map(drop)
    }

    fn upsert_memberships(&mut self, memberships: &[Membership]) -> StoreResult<()> {
        if memberships.is_empty() {
            return Ok(());
        }
        self.kept_changed();
        for chunk in memberships.chunks(ROWS_PER_STATEMENT) {
            let persons: Vec<i64> = chunk.iter().map(|m| m.person.0).collect();
            let organizations: Vec<i64> = chunk.iter().map(|m| m.organization.0).collect();
            let roles: Vec<&str> = chunk.iter().map(|m| m.role.as_str()).collect();
            let froms: Vec<i64> = chunk.iter().map(|m| m.from.millis()).collect();
            let untils: Vec<Option<i64>> =
                chunk.iter().map(|m| m.until.map(Moment::millis)).collect();
            self.execute(
                "writing memberships",
                "INSERT INTO memberships (person, organization, role, from_ms, until_ms) \
                 SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int8[]) \
                 ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = EXCLUDED.role, until_ms = EXCLUDED.until_ms",
                &[&persons, &organizations, &roles, &froms, &untils],
            )?;
        }
        Ok(())
    }
}
