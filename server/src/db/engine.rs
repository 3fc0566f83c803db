// SPDX-License-Identifier: MPL-2.0
//! One way to talk to either engine: SQLite (rusqlite, the embedded
//! default) or PostgreSQL (rust-postgres). The server's queries are written
//! once, with `?1`-style placeholders (rewritten to `$1` for PostgreSQL),
//! parameters made with [`params!`](crate::params) and rows read by index
//! into owned [`Value`]s. Text, integers (64-bit), bytes and booleans are
//! all the server stores; times are RFC 3339 text that sorts.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{DbError, DbResult};

/// A value going in or coming out.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}
macro_rules! int_value {
    ($($t:ty),*) => { $(impl ToValue for $t { fn to_value(&self) -> Value { Value::Int(*self as i64) } })* };
}
int_value!(i64, i32, u32, u8, usize);
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// Parameters for a query: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[&dyn $crate::db::engine::ToValue] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::db::engine::ToValue),+] as &[&dyn $crate::db::engine::ToValue] };
}

pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A row read into owned values.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn get<T: FromValue>(&self, i: usize) -> DbResult<T> {
        let v = self.0.get(i).ok_or_else(|| DbError::Type(format!("no column {i}")))?;
        T::from_value(v).ok_or_else(|| DbError::Type(format!("column {i}: unexpected {v:?}")))
    }
}

/// Which engine a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Sqlite,
    Postgres,
}

/// Rows per statement in [`Conn::insert_rows`] (at most 64 shapes of a
/// statement per table are cached; SQLite allows 32,766 parameters).
pub const ROWS_PER_INSERT: usize = 64;

/// A PostgreSQL connection with its prepared statements. Transactions are
/// begun and ended with plain `BEGIN`/`COMMIT` by the caller (`db/mod.rs`),
/// so that one type serves the pool, the commit thread and migrations.
pub struct PgConn {
    pub client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn { client, statements: HashMap::new() }
    }
}

/// A connection (inside a transaction) to either engine.
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(&'a RefCell<PgConn>),
}

impl Conn<'_> {
    pub fn kind(&self) -> EngineKind {
        match self {
            Conn::Sqlite(_) => EngineKind::Sqlite,
            Conn::Pg(_) => EngineKind::Postgres,
        }
    }

    /// The conflict target for an upsert on `columns`: PostgreSQL's keys
    /// start with the clinic (`clinic_id, …`), SQLite's (one clinic per
    /// file) do not.
    pub fn key(&self, columns: &str) -> String {
        match self {
            Conn::Sqlite(_) => columns.to_owned(),
            Conn::Pg(_) => format!("clinic_id, {columns}"),
        }
    }

    /// Runs a statement; returns the rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn ToValue]) -> DbResult<u64> {
        match self {
            Conn::Sqlite(c) => {
                let values = sqlite::values(params);
                let mut st = c.prepare_cached(sql)?;
                Ok(st.execute(rusqlite::params_from_iter(values.iter()))? as u64)
            }
            Conn::Pg(c) => {
                let mut c = c.borrow_mut();
                let st = pg::statement(&mut c, sql)?;
                let values = pg::values(params);
                let refs = pg::refs(&values);
                Ok(c.client.execute(&st, &refs)?)
            }
        }
    }

    /// Inserts `rows` (each a value per column of `into`, e.g.
    /// `"audit_log (seq, at)"`) with one statement per
    /// [`ROWS_PER_INSERT`] rows: for PostgreSQL, one round trip instead of
    /// one a row.
    pub fn insert_rows(&self, into: &str, rows: &[Vec<Value>]) -> DbResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut sql = format!("INSERT INTO {into} VALUES ");
            let mut n = 0;
            for (i, row) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for j in 0..row.len() {
                    n += 1;
                    sql.push_str(&format!("{}?{n}", if j == 0 { "" } else { ", " }));
                }
                sql.push(')');
            }
            let params: Vec<&dyn ToValue> =
                chunk.iter().flatten().map(|v| v as &dyn ToValue).collect();
            self.execute(&sql, &params)?;
        }
        Ok(())
    }

    /// Several statements without parameters (SAVEPOINT, schema steps).
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(c) => Ok(c.borrow_mut().client.batch_execute(sql)?),
        }
    }

    /// Every row, each turned into a `T`.
    pub fn query_all<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        mut f: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        self.rows(sql, params)?.iter().map(&mut f).collect()
    }

    /// Like [`query_all`](Self::query_all), but on PostgreSQL planned
    /// for these values each time, not as a cached statement: a cached
    /// plan cannot know the clinic (`current_setting`) or the values, and
    /// for a long `IN (…)` list it picks a scan of the clinic's rows over
    /// key lookups.
    pub fn query_all_planned<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        mut f: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        match self {
            Conn::Sqlite(_) => self.query_all(sql, params, f),
            Conn::Pg(c) => {
                let mut c = c.borrow_mut();
                let values = pg::values(params);
                let refs = pg::refs(&values);
                let rows = c.client.query(pg::dialect(sql).as_str(), &refs)?;
                rows.iter().map(|r| pg::row(r).and_then(|r| f(&r))).collect()
            }
        }
    }

    /// The first row, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        f: impl FnOnce(&Row) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        self.rows(sql, params)?.first().map(f).transpose()
    }

    /// The first row; an error if there is none.
    pub fn query_one<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        f: impl FnOnce(&Row) -> DbResult<T>,
    ) -> DbResult<T> {
        self.query_opt(sql, params, f)?.ok_or_else(|| DbError::Type(format!("no row for: {sql}")))
    }

    fn rows(&self, sql: &str, params: &[&dyn ToValue]) -> DbResult<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => {
                let values = sqlite::values(params);
                let mut st = c.prepare_cached(sql)?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(Row((0..n).map(|i| sqlite::value(r, i)).collect::<DbResult<_>>()?));
                }
                Ok(out)
            }
            Conn::Pg(c) => {
                let mut c = c.borrow_mut();
                let st = pg::statement(&mut c, sql)?;
                let values = pg::values(params);
                let refs = pg::refs(&values);
                let rows = c.client.query(&st, &refs)?;
                rows.iter().map(pg::row).collect()
            }
        }
    }
}

mod sqlite {
    use rusqlite::types::{Value as SqlValue, ValueRef};

    use super::{ToValue, Value};
    use crate::db::DbResult;

    pub fn values(params: &[&dyn ToValue]) -> Vec<SqlValue> {
        params
            .iter()
            .map(|p| match p.to_value() {
                Value::Null => SqlValue::Null,
                Value::Int(i) => SqlValue::Integer(i),
                Value::Text(s) => SqlValue::Text(s),
                Value::Bytes(b) => SqlValue::Blob(b),
                Value::Bool(b) => SqlValue::Integer(i64::from(b)),
            })
            .collect()
    }

    pub fn value(r: &rusqlite::Row<'_>, i: usize) -> DbResult<Value> {
        Ok(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(f) => Value::Int(f as i64),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        })
    }
}

pub(crate) mod pg {
    use std::error::Error;

    use postgres::types::{to_sql_checked, IsNull, ToSql, Type};

    use super::{PgConn, Row, ToValue, Value};
    use crate::db::{DbError, DbResult};

    /// `?1` → `$1` (the server's SQL has no `?` inside literals).
    pub fn dialect(sql: &str) -> String {
        sql.replace('?', "$")
    }

    pub fn statement(c: &mut PgConn, sql: &str) -> DbResult<postgres::Statement> {
        if let Some(st) = c.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = c.client.prepare(&dialect(sql))?;
        c.statements.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// A parameter that takes the type the statement expects.
    #[derive(Debug)]
    pub struct Param(pub Value);

    impl ToSql for Param {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut bytes::BytesMut,
        ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
            match &self.0 {
                Value::Null => Ok(IsNull::Yes),
                Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Value::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Value::Int(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
                Value::Int(i) if *ty == Type::TEXT || *ty == Type::VARCHAR => {
                    i.to_string().to_sql(ty, out)
                }
                Value::Int(i) => i.to_sql(ty, out),
                Value::Text(s) => s.to_sql(ty, out),
                Value::Bytes(b) => b.to_sql(ty, out),
                Value::Bool(b) => b.to_sql(ty, out),
            }
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    pub fn values(params: &[&dyn ToValue]) -> Vec<Param> {
        params.iter().map(|p| Param(p.to_value())).collect()
    }

    pub fn refs(values: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
        values.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }

    pub fn row(r: &postgres::Row) -> DbResult<Row> {
        let mut out = Vec::with_capacity(r.len());
        for (i, col) in r.columns().iter().enumerate() {
            let t = col.type_();
            let v = if *t == Type::INT8 {
                r.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int)
            } else if *t == Type::INT4 {
                r.get::<_, Option<i32>>(i).map_or(Value::Null, |v| Value::Int(v.into()))
            } else if *t == Type::INT2 {
                r.get::<_, Option<i16>>(i).map_or(Value::Null, |v| Value::Int(v.into()))
            } else if *t == Type::BOOL {
                r.get::<_, Option<bool>>(i).map_or(Value::Null, Value::Bool)
            } else if *t == Type::BYTEA {
                r.get::<_, Option<Vec<u8>>>(i).map_or(Value::Null, Value::Bytes)
            } else if *t == Type::TEXT
                || *t == Type::VARCHAR
                || *t == Type::NAME
                || *t == Type::BPCHAR
            {
                r.get::<_, Option<String>>(i).map_or(Value::Null, Value::Text)
            } else {
                return Err(DbError::Type(format!("column {} has type {t}", col.name())));
            };
            out.push(v);
        }
        Ok(Row(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_postgres_style() {
        assert_eq!(
            pg::dialect("SELECT a FROM t WHERE b = ?1 AND c = ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
    }

    #[test]
    fn values_round_trip_through_sqlite() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (a TEXT, b INTEGER, c BLOB, d TEXT)").unwrap();
        let conn = Conn::Sqlite(&c);
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            crate::params!["x", 7i64, vec![1u8, 2], None::<String>],
        )
        .unwrap();
        let (a, b, cc, d, flag) = conn
            .query_one("SELECT a, b, c, d, b > 5 FROM t", crate::params![], |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<i64>(1)?,
                    r.get::<Vec<u8>>(2)?,
                    r.get::<Option<String>>(3)?,
                    r.get::<bool>(4)?,
                ))
            })
            .unwrap();
        assert_eq!((a.as_str(), b, cc, d, flag), ("x", 7, vec![1, 2], None, true));
        assert!(conn
            .query_opt("SELECT a FROM t WHERE b = ?1", crate::params![8i64], |r| r.get::<String>(0))
            .unwrap()
            .is_none());
    }
}
