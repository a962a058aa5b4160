//! The schema, as numbered steps. `PRAGMA user_version` records the last step applied.

/// Each step's SQL; step N (1-based) brings a store from version N-1 to N.
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

pub const STEPS: &[&str] = &[
    // 1: the ledger core.
    r#"
    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE kinds (
        id            INTEGER PRIMARY KEY,
        code          TEXT NOT NULL UNIQUE,
        dimension     INTEGER NOT NULL CHECK (dimension IN (0, 1)),
        default_minor INTEGER,
        label_nl      TEXT NOT NULL,
        label_en      TEXT NOT NULL,
        builtin       INTEGER NOT NULL
    );

    CREATE TABLE parties (
        id    INTEGER PRIMARY KEY,
        key   TEXT NOT NULL UNIQUE,
        kind  TEXT NOT NULL CHECK (kind IN ('organization', 'person')),
        name  TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        note  TEXT
    );

    CREATE TABLE memberships (
        person       INTEGER NOT NULL,
        organization INTEGER NOT NULL,
        role         TEXT NOT NULL,
        from_ms      INTEGER NOT NULL,
        until_ms     INTEGER,
        PRIMARY KEY (person, organization, from_ms),
        CHECK (until_ms IS NULL OR until_ms > from_ms)
    ) WITHOUT ROWID;

    -- Gestures are never updated or deleted. `seq` is the order they were stored in.
    CREATE TABLE gestures (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL UNIQUE,
        at_ms        INTEGER NOT NULL,
        giver        INTEGER NOT NULL,
        receiver     INTEGER NOT NULL,
        giver_org    INTEGER,
        receiver_org INTEGER,
        kind         INTEGER NOT NULL,
        amount_minor INTEGER NOT NULL,
        note         TEXT,
        item         TEXT,
        reverses     TEXT,
        CHECK (giver <> receiver)
    );
    -- A gesture is reversed at most once.
    CREATE UNIQUE INDEX gestures_reverses ON gestures (reverses) WHERE reverses IS NOT NULL;

    -- One row per pair (low < high), level and dimension; the sum of its gestures.
    CREATE TABLE balances (
        level       INTEGER NOT NULL,
        low         INTEGER NOT NULL,
        high        INTEGER NOT NULL,
        dimension   INTEGER NOT NULL,
        low_to_high INTEGER NOT NULL,
        high_to_low INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        first_ms    INTEGER NOT NULL,
        last_ms     INTEGER NOT NULL,
        PRIMARY KEY (level, low, high, dimension),
        CHECK (low < high)
    ) WITHOUT ROWID;
    CREATE INDEX balances_high ON balances (level, high);
    "#,
    // 2: accounts and API tokens.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
        password_hash TEXT,
        language      TEXT
    );

    -- Only the SHA-256 of a token's secret is kept; the secret is shown once.
    CREATE TABLE tokens (
        id         INTEGER PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id),
        name       TEXT NOT NULL,
        hash       BLOB NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    "#,
    // 3: listing an organization's members. (Gestures have no index by party: with
    // one, a bulk import took 2.5 times as long.)
    r#"
    CREATE INDEX memberships_organization ON memberships (organization);
    "#,
    // 4: responses to writes sent with an Idempotency-Key, kept for a day.
    r#"
    CREATE TABLE idempotency (
        user_id     INTEGER NOT NULL,
        key         TEXT NOT NULL,
        fingerprint BLOB NOT NULL,
        status      INTEGER NOT NULL,
        body        BLOB NOT NULL,
        created_ms  INTEGER NOT NULL,
        PRIMARY KEY (user_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_created ON idempotency (created_ms);
    "#,
    // 5: web sessions, kept by the SHA-256 of their cookie's secret; uploads waiting
    // to be imported.
    r#"
    CREATE TABLE sessions (
        hash       BLOB PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id),
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_expires ON sessions (expires_ms);

    -- Files uploaded in the web app, checked and waiting for the user to import them.
    CREATE TABLE uploads (
        id         INTEGER PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id),
        name       TEXT NOT NULL,
        body       BLOB NOT NULL,
        created_ms INTEGER NOT NULL
    );
    "#,
    // 6: credit per organization and month (in the store's time zone), kept with
    // the balances, for timelines; and the gestures' times, for a month's totals.
    // A store that holds gestures already has its months computed on first open
    // (see `ledger::ensure_months`).
    r#"
    CREATE TABLE months (
        organization INTEGER NOT NULL,
        month        INTEGER NOT NULL,
        given        INTEGER NOT NULL,
        received     INTEGER NOT NULL,
        count        INTEGER NOT NULL,
        first_ms     INTEGER NOT NULL,
        last_ms      INTEGER NOT NULL,
        PRIMARY KEY (organization, month)
    ) WITHOUT ROWID;
    INSERT INTO settings (name, value)
        SELECT 'months_built', '1' WHERE NOT EXISTS (SELECT 1 FROM gestures);
    "#,
    // 7: the gestures' times, for lists newest first and the report's window
    // (see `newest_first` in gestures.rs).
    r#"
    CREATE INDEX gestures_at ON gestures (at_ms);
    "#,
    // 8: each party's balances summed over its counterparts, per level and
    // dimension, kept with the balances (see `party_totals` in balances.rs).
    // STRICT: a sum beyond 64 bits would become a REAL, and is refused instead.
    r#"
    CREATE TABLE party_totals (
        level     INTEGER NOT NULL,
        party     INTEGER NOT NULL,
        dimension INTEGER NOT NULL,
        given     INTEGER NOT NULL,
        received  INTEGER NOT NULL,
        count     INTEGER NOT NULL,
        first_ms  INTEGER NOT NULL,
        last_ms   INTEGER NOT NULL,
        PRIMARY KEY (level, party, dimension)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO party_totals (level, party, dimension, given, received, count, first_ms, last_ms)
    SELECT level, party, dimension, SUM(given), SUM(received), SUM(count), MIN(first_ms), MAX(last_ms) FROM (
        SELECT level, low AS party, dimension, low_to_high AS given, high_to_low AS received, count, first_ms, last_ms FROM balances
        UNION ALL SELECT level, high, dimension, high_to_low, low_to_high, count, first_ms, last_ms FROM balances)
    GROUP BY level, party, dimension;
    "#,
    // 9: the gestures by giver and by receiver (a party's are then sorted: time in
    // these indexes cost a fifth more to build and no query used it): a
    // party's gestures, its timeline and a pair's gestures are read through
    // them instead of a pass over the table (see `newest_first` in gestures.rs).
    // The index of times holds what a report's window counts, so that a window
    // is read from it alone (`for_each_flow_between`). An import into an empty
    // store builds them at its end.
    r#"
    DROP INDEX gestures_at;
    CREATE INDEX gestures_at ON gestures (at_ms, giver, receiver, kind, amount_minor, giver_org, receiver_org, reverses);
    CREATE INDEX gestures_giver ON gestures (giver);
    CREATE INDEX gestures_receiver ON gestures (receiver);
    "#,
    // 10: an upload's content in parts, written and read a part at a time (the
    // uploads' own `body` stays empty).
    r#"
    CREATE TABLE upload_parts (
        upload_id INTEGER NOT NULL,
        n         INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        PRIMARY KEY (upload_id, n)
    ) WITHOUT ROWID;
    "#,
    // 11: the uploads' `body`, empty since their parts are kept apart, goes.
    r#"
    ALTER TABLE uploads DROP COLUMN body;
    "#,
    // 12: the times of the gestures with a note or an item, for a search of
    // their text newest first (see `SqliteStore::newest_first`).
    r#"
    CREATE INDEX gestures_text ON gestures (at_ms) WHERE note IS NOT NULL OR item IS NOT NULL;
    "#,
    // 13: balances and monthly credit STRICT, as each party's sums are: a sum
    // beyond 64 bits becomes a REAL in SQLite, which a STRICT table refuses, so
    // that an import can add its sums to the rows in SQL and still fail on
    // an overflow (see `SqliteStore::add_directly`).
    r#"
    CREATE TABLE balances_strict (
        level       INTEGER NOT NULL,
        low         INTEGER NOT NULL,
        high        INTEGER NOT NULL,
        dimension   INTEGER NOT NULL,
        low_to_high INTEGER NOT NULL,
        high_to_low INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        first_ms    INTEGER NOT NULL,
        last_ms     INTEGER NOT NULL,
        PRIMARY KEY (level, low, high, dimension),
        CHECK (low < high)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO balances_strict SELECT * FROM balances;
    DROP TABLE balances;
    ALTER TABLE balances_strict RENAME TO balances;
    CREATE INDEX balances_high ON balances (level, high);
    CREATE TABLE months_strict (
        organization INTEGER NOT NULL,
        month        INTEGER NOT NULL,
        given        INTEGER NOT NULL,
        received     INTEGER NOT NULL,
        count        INTEGER NOT NULL,
        first_ms     INTEGER NOT NULL,
        last_ms      INTEGER NOT NULL,
        PRIMARY KEY (organization, month)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO months_strict SELECT * FROM months;
    DROP TABLE months;
    ALTER TABLE months_strict RENAME TO months;
    "#,
    // 14: handovers of dormant credits (see docs/credits.md).
    r#"
    CREATE TABLE handovers (
        id           INTEGER PRIMARY KEY,
        left_person  INTEGER NOT NULL REFERENCES parties (id),
        left_unit    INTEGER NOT NULL REFERENCES parties (id),
        other_person INTEGER NOT NULL REFERENCES parties (id),
        other_unit   INTEGER NOT NULL REFERENCES parties (id),
        successor    INTEGER NOT NULL REFERENCES parties (id),
        share        INTEGER NOT NULL CHECK (share BETWEEN 0 AND 100),
        state        TEXT NOT NULL CHECK (state IN ('offered', 'accepted', 'declined', 'withdrawn')),
        offered_ms   INTEGER NOT NULL,
        decided_ms   INTEGER,
        note         TEXT,
        money_out    INTEGER NOT NULL DEFAULT 0,
        money_in     INTEGER NOT NULL DEFAULT 0,
        credit_out   INTEGER NOT NULL DEFAULT 0,
        credit_in    INTEGER NOT NULL DEFAULT 0,
        CHECK (state = 'offered' OR decided_ms IS NOT NULL)
    ) STRICT;
    "#,
    // 15: users linked to the person party they are, so that a handover to
    // them is theirs to accept (see docs/credits.md).
    r#"
    CREATE TABLE user_parties (
        user_id INTEGER PRIMARY KEY REFERENCES users (id),
        party   INTEGER NOT NULL UNIQUE REFERENCES parties (id)
    ) STRICT;
    "#,
    // 16: alerts of credits gone dormant when a membership ended (see
    // docs/credits.md), one per departure and counterpart.
    r#"
    CREATE TABLE dormant_alerts (
        id           INTEGER PRIMARY KEY,
        left_person  INTEGER NOT NULL REFERENCES parties (id),
        left_unit    INTEGER NOT NULL REFERENCES parties (id),
        other_unit   INTEGER NOT NULL REFERENCES parties (id),
        left_ms      INTEGER NOT NULL,
        volume       INTEGER NOT NULL CHECK (volume >= 0),
        other_person INTEGER NOT NULL REFERENCES parties (id),
        others       INTEGER NOT NULL CHECK (others >= 0),
        dismissed_ms INTEGER,
        UNIQUE (left_person, left_unit, other_unit, left_ms)
    ) STRICT;
    "#,
    // 17: promises and their due moments (see docs/promises.md). Only pending
    // promises are in the index of due moments: a sweep with nothing due reads
    // one entry of it.
    r#"
    CREATE TABLE promises (
        id           INTEGER PRIMARY KEY,
        key          TEXT NOT NULL UNIQUE,
        promiser     INTEGER NOT NULL REFERENCES parties (id),
        promisee     INTEGER NOT NULL REFERENCES parties (id),
        promiser_org INTEGER REFERENCES parties (id),
        promisee_org INTEGER REFERENCES parties (id),
        kind         INTEGER NOT NULL REFERENCES kinds (id),
        amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
        made_ms      INTEGER NOT NULL,
        due_ms       INTEGER NOT NULL CHECK (due_ms >= made_ms),
        note         TEXT,
        state        TEXT NOT NULL CHECK (state IN ('open', 'renegotiated', 'kept', 'broken', 'released')),
        resolved_ms  INTEGER,
        reason       TEXT,
        gesture      TEXT UNIQUE,
        kept_minor   INTEGER,
        CHECK ((state IN ('kept', 'broken')) = (gesture IS NOT NULL)),
        CHECK ((state IN ('open', 'renegotiated')) = (resolved_ms IS NULL))
    ) STRICT;
    CREATE INDEX promises_due ON promises (due_ms) WHERE state IN ('open', 'renegotiated');
    CREATE INDEX promises_broken ON promises (resolved_ms) WHERE state = 'broken';
    CREATE INDEX promises_promiser ON promises (promiser, due_ms);
    CREATE INDEX promises_promisee ON promises (promisee, due_ms);
    CREATE TABLE promise_dues (
        promise   INTEGER NOT NULL REFERENCES promises (id),
        seq       INTEGER NOT NULL,
        due_ms    INTEGER NOT NULL,
        agreed_ms INTEGER NOT NULL,
        PRIMARY KEY (promise, seq)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 18: a party's pending promises in due order, whole in the index: the
    // agenda of a party with thousands of them reads two ranges of it and
    // merges them, with no lookup of rows and no sort.
    r#"
    CREATE INDEX promises_pending_promiser ON promises (promiser, due_ms, key, promisee,
        promiser_org, promisee_org, kind, amount_minor, made_ms, note, state, resolved_ms,
        reason, gesture, kept_minor) WHERE state IN ('open', 'renegotiated');
    CREATE INDEX promises_pending_promisee ON promises (promisee, due_ms, key, promiser,
        promiser_org, promisee_org, kind, amount_minor, made_ms, note, state, resolved_ms,
        reason, gesture, kept_minor) WHERE state IN ('open', 'renegotiated');
    "#,
    // 19: a gesture's id unique by an index of its own rather than by the
    // table's constraint, so that an import into an empty store can drop it
    // and build it once after, as it does the others (ids from another system,
    // in no order, filled it a second slower in a million); the table is
    // copied to lose the constraint.
    r#"
    CREATE TABLE gestures_copy (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL,
        at_ms        INTEGER NOT NULL,
        giver        INTEGER NOT NULL,
        receiver     INTEGER NOT NULL,
        giver_org    INTEGER,
        receiver_org INTEGER,
        kind         INTEGER NOT NULL,
        amount_minor INTEGER NOT NULL,
        note         TEXT,
        item         TEXT,
        reverses     TEXT,
        CHECK (giver <> receiver)
    );
    INSERT INTO gestures_copy (seq, id, at_ms, giver, receiver, giver_org, receiver_org, kind,
        amount_minor, note, item, reverses)
        SELECT seq, id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note,
        item, reverses FROM gestures ORDER BY seq;
    DROP TABLE gestures;
    ALTER TABLE gestures_copy RENAME TO gestures;
    CREATE UNIQUE INDEX gestures_id ON gestures (id);
    CREATE UNIQUE INDEX gestures_reverses ON gestures (reverses) WHERE reverses IS NOT NULL;
    CREATE INDEX gestures_text ON gestures (at_ms) WHERE note IS NOT NULL OR item IS NOT NULL;
    CREATE INDEX gestures_at ON gestures (at_ms, giver, receiver, kind, amount_minor, giver_org, receiver_org, reverses);
    CREATE INDEX gestures_giver ON gestures (giver);
    CREATE INDEX gestures_receiver ON gestures (receiver);
    "#,
];
