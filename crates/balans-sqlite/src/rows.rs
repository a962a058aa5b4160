//! `int_rows(?1)`: rows of integers handed to one statement as a table, so that
//! many rows are written by one `INSERT … SELECT` rather than by a statement run
//! once per row.
//!
//! One statement keeps its cursor on the table it writes between rows, so rows
//! in key order go in without a search from the root each (SQLite's append
//! path), and the statement is set up once. An import's 1.6 million sums of a
//! million gestures over as many pairs took 2.3 s one statement per row.
//!
//! ```sql
//! INSERT INTO months (organization, month, given, received, count, first_ms, last_ms)
//!     SELECT c0, c1, c2, c3, c4, c5, c6 FROM int_rows(?1)
//! ```

use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::rc::Rc;

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::vtab::{
    Context, Filters, IndexConstraintOp, IndexInfo, Module, VTab, VTabConnection, VTabCursor,
};
use rusqlite::{Connection, ffi};

/// The name of the table function, and of the pointer type it takes.
const NAME: &CStr = c"int_rows";

/// The most columns a row has: `c0` … `c8`.
pub(crate) const WIDEST: usize = 9;

/// The hidden column that takes the rows.
const POINTER_COLUMN: c_int = WIDEST as c_int;

/// The columns `c0` … of a row `width` wide, for a statement's `SELECT`.
fn columns(width: usize) -> String {
    let columns: Vec<String> = (0..width).map(|c| format!("c{c}")).collect();
    columns.join(", ")
}

/// Rows of `width` integers each, one after the other.
#[derive(Debug)]
pub(crate) struct IntRows {
    width: usize,
    values: Vec<i64>,
}

impl IntRows {
    /// Room for `rows` rows of `width` (at most [`WIDEST`]) integers.
    pub(crate) fn with_capacity(width: usize, rows: usize) -> IntRows {
        assert!(
            (1..=WIDEST).contains(&width),
            "int_rows has 1 to {WIDEST} columns"
        );
        IntRows {
            width,
            values: Vec::with_capacity(width * rows),
        }
    }

    /// Adds a row; it must have `width` values.
    pub(crate) fn push(&mut self, row: impl IntoIterator<Item = i64>) {
        let before = self.values.len();
        self.values.extend(row);
        assert_eq!(self.values.len() - before, self.width, "a row of int_rows");
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len() / self.width
    }

    /// The parameter that hands these rows to `int_rows(?n)`.
    pub(crate) fn into_param(self) -> IntRowsParam {
        IntRowsParam(Rc::new(self))
    }
}

/// [`IntRows`] bound to a statement.
pub(crate) struct IntRowsParam(Rc<IntRows>);

impl ToSql for IntRowsParam {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from_rc(self.0.clone(), NAME))
    }
}

/// Rows one statement writes at most (see [`write_all`]): 4.5 MiB of balances.
pub(crate) const ROWS_AT_ONCE: usize = 65_536;

/// Why [`write_all`] failed.
#[derive(Debug)]
pub(crate) enum NotWritten<'a, T> {
    /// The table refused this item's row (a constraint: a sum beyond 64 bits
    /// becomes a REAL, which a STRICT table refuses).
    Refused(&'a T),
    Failed(rusqlite::Error),
}

/// An insert of rows of integers into a table.
pub(crate) struct Insert<'s> {
    /// `INSERT INTO table (columns)`.
    pub(crate) into: &'s str,
    /// How many columns (at most [`WIDEST`]).
    pub(crate) width: usize,
    /// What the insert does where a row exists (`ON CONFLICT …`); with none,
    /// such a row is refused.
    pub(crate) clause: &'s str,
    /// Whether the table is thought to hold none of the rows yet (an import
    /// into an empty store, a table just emptied): each part is then tried as
    /// a plain insert first, which is a third cheaper than an upsert, and
    /// written with `clause` only when a row exists after all.
    pub(crate) new_rows: bool,
}

impl Insert<'_> {
    /// The statement for one row, its values `?1` … .
    pub(crate) fn row_sql(&self) -> String {
        let values: Vec<String> = (1..=self.width).map(|i| format!("?{i}")).collect();
        format!(
            "{} VALUES ({}) {}",
            self.into,
            values.join(", "),
            self.clause
        )
    }

    /// The statement for every row of `int_rows(?1)`, doing `clause` where a
    /// row exists. (`WHERE true` tells SQLite's parser that an `ON CONFLICT`
    /// after it starts an upsert.)
    fn rows_sql(&self, clause: &str) -> String {
        format!(
            "{} SELECT {} FROM int_rows(?1) WHERE true {clause}",
            self.into,
            columns(self.width)
        )
    }
}

/// Writes a row of `values` for each of `items` with `insert`, [`ROWS_AT_ONCE`]
/// at a time, each part with one statement that reads it from `int_rows(?1)`.
///
/// A part that fails is undone whole. When a row of it is refused, the part is
/// written again row by row, up to the row refused, which is named; what was
/// written is then the caller's to undo, as with any write that fails.
pub(crate) fn write_all<'a, T, V>(
    connection: &Connection,
    insert: &Insert<'_>,
    items: &'a [T],
    values: impl Fn(&T) -> V,
) -> Result<(), NotWritten<'a, T>>
where
    V: IntoIterator<Item = i64>,
{
    let refused = |e: &rusqlite::Error| {
        e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
    };
    let prepare = |sql: &str| connection.prepare_cached(sql).map_err(NotWritten::Failed);
    // With no clause the insert is plain already: nothing to try first.
    let mut new_rows = insert.new_rows && !insert.clause.is_empty();
    for part in items.chunks(ROWS_AT_ONCE) {
        let mut rows = IntRows::with_capacity(insert.width, part.len());
        for item in part {
            rows.push(values(item));
        }
        let rows = rows.into_param();
        if new_rows {
            match prepare(&insert.rows_sql(""))?.execute([&rows]) {
                Ok(_) => continue,
                Err(e)
                    if e.sqlite_error().map(|e| e.extended_code)
                        == Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
                {
                    // A row exists after all: this part and the rest go with
                    // the clause.
                    new_rows = false;
                }
                Err(e) if refused(&e) => {}
                Err(e) => return Err(NotWritten::Failed(e)),
            }
        }
        let error = match prepare(&insert.rows_sql(insert.clause))?.execute([&rows]) {
            Ok(_) => continue,
            Err(e) if refused(&e) => e,
            Err(e) => return Err(NotWritten::Failed(e)),
        };
        let mut one = prepare(&insert.row_sql())?;
        for item in part {
            let row: Vec<i64> = values(item).into_iter().collect();
            match one.execute(rusqlite::params_from_iter(row)) {
                Ok(_) => {}
                Err(e) if refused(&e) => return Err(NotWritten::Refused(item)),
                Err(e) => return Err(NotWritten::Failed(e)),
            }
        }
        // Refused together and each accepted alone: not a row's fault, and
        // no reason to go on as if written.
        return Err(NotWritten::Failed(error));
    }
    Ok(())
}

/// Makes `int_rows` known to `connection`.
pub(crate) fn load_module(connection: &Connection) -> rusqlite::Result<()> {
    const MODULE: Module<'static, IntRowsTab> = Module::eponymous_only_module();
    connection.create_module(NAME, &MODULE, None)
}

/// The table. SQLite sees the first field as its own `sqlite3_vtab`.
#[repr(C)]
struct IntRowsTab {
    base: ffi::sqlite3_vtab,
}

// SAFETY: `IntRowsTab` is `repr(C)` with SQLite's `sqlite3_vtab` first, as the
// trait requires.
#[allow(unsafe_code)]
unsafe impl<'vtab> VTab<'vtab> for IntRowsTab {
    type Aux = ();
    type Cursor = IntRowsCursor<'vtab>;

    fn connect(
        _: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> rusqlite::Result<(Cow<'static, CStr>, IntRowsTab)> {
        Ok((
            Cow::Borrowed(c"CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, c8, rows hidden)"),
            IntRowsTab {
                base: ffi::sqlite3_vtab::default(),
            },
        ))
    }

    /// Only `int_rows(?n)`, the rows given, can be read: without them the
    /// table is empty, and made to cost so much that a plan avoids it.
    fn best_index(&self, info: &mut IndexInfo) -> rusqlite::Result<bool> {
        let mut given = false;
        for (constraint, mut usage) in info.constraints_and_usages() {
            if constraint.is_usable()
                && constraint.operator() == IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ
                && constraint.column() == POINTER_COLUMN
            {
                given = true;
                usage.set_argv_index(1);
                usage.set_omit(true);
            }
        }
        if given {
            info.set_estimated_cost(1.0);
            info.set_estimated_rows(1_000);
            info.set_idx_num(1);
        } else {
            info.set_estimated_cost(f64::from(i32::MAX));
            info.set_estimated_rows(i64::from(i32::MAX));
            info.set_idx_num(0);
        }
        Ok(true)
    }

    fn open(&'vtab mut self) -> rusqlite::Result<IntRowsCursor<'vtab>> {
        Ok(IntRowsCursor {
            base: ffi::sqlite3_vtab_cursor::default(),
            row: 0,
            rows: None,
            phantom: PhantomData,
        })
    }
}

/// A cursor over the rows given. SQLite sees the first field as its own
/// `sqlite3_vtab_cursor`.
#[repr(C)]
struct IntRowsCursor<'vtab> {
    base: ffi::sqlite3_vtab_cursor,
    /// The row the cursor is on, from 0.
    row: usize,
    rows: Option<&'vtab IntRows>,
    phantom: PhantomData<&'vtab IntRowsTab>,
}

impl IntRowsCursor<'_> {
    fn len(&self) -> usize {
        self.rows.map_or(0, IntRows::len)
    }
}

// SAFETY: `IntRowsCursor` is `repr(C)` with SQLite's `sqlite3_vtab_cursor`
// first, as the trait requires.
#[allow(unsafe_code)]
unsafe impl VTabCursor for IntRowsCursor<'_> {
    fn filter(
        &mut self,
        idx_num: c_int,
        _idx_str: Option<&str>,
        args: &Filters<'_>,
    ) -> rusqlite::Result<()> {
        // SAFETY: SQLite hands back a pointer only to a reader that names the
        // type it was bound with (`NAME`), and only `IntRowsParam` binds one
        // of that type; the statement holds a count of it until it is reset.
        self.rows = match idx_num {
            1 => unsafe { args.get_pointer::<IntRows>(0, NAME) },
            _ => None,
        };
        self.row = 0;
        Ok(())
    }

    fn next(&mut self) -> rusqlite::Result<()> {
        self.row += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.row >= self.len()
    }

    fn column(&self, ctx: &mut Context, column: c_int) -> rusqlite::Result<()> {
        let value = self.rows.and_then(|rows| {
            let column = usize::try_from(column).ok().filter(|c| *c < rows.width)?;
            rows.values.get(self.row * rows.width + column)
        });
        // A column past the row's width is NULL.
        ctx.set_result(value)
    }

    fn rowid(&self) -> rusqlite::Result<i64> {
        Ok(self.row as i64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_given_are_read_as_a_table() {
        let connection = Connection::open_in_memory().unwrap();
        load_module(&connection).unwrap();
        let mut rows = IntRows::with_capacity(3, 2);
        rows.push([1, 2, 3]);
        rows.push([4, i64::MIN, i64::MAX]);
        let read: Vec<(i64, i64, i64, Option<i64>)> = connection
            .prepare("SELECT c0, c1, c2, c3 FROM int_rows(?1)")
            .unwrap()
            .query_map([rows.into_param()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            read,
            vec![(1, 2, 3, None), (4, i64::MIN, i64::MAX, None)],
            "each row in order, a column past the width empty"
        );
        let none: i64 = connection
            .query_row(
                "SELECT count(*) FROM int_rows(?1)",
                [IntRows::with_capacity(9, 0).into_param()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(none, 0);
    }

    #[test]
    #[should_panic(expected = "a row of int_rows")]
    fn a_row_of_another_width_is_refused() {
        IntRows::with_capacity(2, 1).push([1, 2, 3]);
    }
}
