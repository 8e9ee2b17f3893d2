//! The two SQL backends behind one small API: SQLite on rusqlite (the default, one file) and
//! PostgreSQL on the synchronous `postgres` crate (deployments that span hosts). The store's
//! methods are written once against [`Conn`], [`Statement`], [`Row`] and [`Transaction`], whose
//! shapes follow rusqlite's; where the dialects differ a method asks [`Conn::dialect`] and spells
//! each. Statements use SQLite's numbered placeholders (`?1`, `?2`, or a bare `?`), which the
//! PostgreSQL side rewrites to `$1`, `$2`.
//!
//! Values cross as five kinds (integer, real, text, blob, null) on both backends: PostgreSQL's
//! schema stores integers (and booleans) as BIGINT, reals as DOUBLE PRECISION, text as TEXT and
//! blobs as BYTEA, so one Rust type reads the same column on either.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use postgres::types::{IsNull, Type};

/// Which SQL a statement must be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

// (Helpers for the JSON the store keeps in text columns and binds as lists of ids.)
impl Dialect {
    /// The end of a SELECT whose rows the transaction then writes on what it read: PostgreSQL
    /// locks them to the commit (a row another transaction holds is waited for and re-checked
    /// on its newest version), SQLite's one writer needs nothing.
    pub fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// A table of the texts in the JSON array `expr` (a placeholder or a text column), one row
    /// per element in a column named `value`: `id IN (SELECT value FROM {…})`.
    pub fn json_values(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each({expr})"),
            Dialect::Postgres => format!("json_array_elements_text(CAST({expr} AS json))"),
        }
    }

    /// The number of elements of the JSON array `expr` (a text column).
    pub fn json_array_length(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_array_length({expr})"),
            Dialect::Postgres => format!("json_array_length(CAST({expr} AS json))"),
        }
    }

    /// Whether the text `needle` occurs in the text `haystack` (case-sensitive, no wildcards).
    pub fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    /// The text at top-level key `key` of the JSON object `expr` (NULL when it is absent).
    pub fn json_text_field(self, expr: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({expr}, '$.{key}')"),
            Dialect::Postgres => format!("(CAST({expr} AS json) ->> '{key}')"),
        }
    }
}

// --- errors -----------------------------------------------------------------------------------

/// A failure of a statement or of reading its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A query that must return a row returned none (see [`OptionalExtension`]).
    #[error("query returned no rows")]
    QueryReturnedNoRows,
    /// A column's value could not become the Rust type asked for.
    #[error("column {0}: {1}")]
    FromSqlConversionFailure(usize, Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The PostgreSQL connection is gone and could not be made again.
    #[error("database connection lost: {0}")]
    Disconnected(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A UNIQUE, CHECK, NOT NULL or foreign key constraint refused the write.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            Error::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            Error::Postgres(e) => e.code().is_some_and(|c| c.code().starts_with("23")),
            _ => false,
        }
    }

    /// Another connection holds the lock this statement needed (SQLite's SQLITE_BUSY).
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy),
            Error::Postgres(e) => e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE),
            _ => false,
        }
    }
}

/// PostgreSQL's own words for an error: its message, detail and SQLSTATE, not the client's
/// generic "db error".
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(": ");
                text.push_str(detail);
            }
            text
        }
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// `.optional()` on a one-row query: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(
                Error::QueryReturnedNoRows | Error::Sqlite(rusqlite::Error::QueryReturnedNoRows),
            ) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

// --- values -----------------------------------------------------------------------------------

/// The kind of a bound value, which PostgreSQL needs even for a NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    fn pg_type(self) -> Type {
        match self {
            Kind::Integer => Type::INT8,
            Kind::Real => Type::FLOAT8,
            Kind::Text => Type::TEXT,
            Kind::Blob => Type::BYTEA,
        }
    }
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum ToSqlOutput<'a> {
    Null(Kind),
    Integer(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl ToSqlOutput<'_> {
    fn kind(&self) -> Kind {
        match self {
            ToSqlOutput::Null(kind) => *kind,
            ToSqlOutput::Integer(_) => Kind::Integer,
            ToSqlOutput::Real(_) => Kind::Real,
            ToSqlOutput::Text(_) => Kind::Text,
            ToSqlOutput::Blob(_) => Kind::Blob,
        }
    }
}

impl<'a> From<&'a str> for ToSqlOutput<'a> {
    fn from(s: &'a str) -> Self {
        ToSqlOutput::Text(Cow::Borrowed(s))
    }
}

/// An owned value: a list query's arguments, a copied row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Integer(i64::from(v))
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}

/// A column's value as read, borrowed from the row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> ValueRef<'a> {
    pub fn as_str(&self) -> FromSqlResult<&'a str> {
        match *self {
            ValueRef::Text(t) => Ok(t),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(t.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_owned()),
        }
    }
}

/// Why a column's value could not become the type asked for.
#[derive(Debug, thiserror::Error)]
pub enum FromSqlError {
    #[error("invalid type")]
    InvalidType,
    #[error("value {0} out of range")]
    OutOfRange(i64),
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

pub type FromSqlResult<T> = std::result::Result<T, FromSqlError>;

/// A Rust type a column can be read as.
pub trait FromSql: Sized {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self>;
}

/// A Rust type that can be bound to a statement.
pub trait ToSql {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>>;
    /// The kind of a NULL of this type (`None::<T>`).
    fn null_kind() -> Kind
    where
        Self: Sized;
}

macro_rules! integer_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                match value {
                    ValueRef::Integer(i) => <$t>::try_from(i).map_err(|_| FromSqlError::OutOfRange(i)),
                    _ => Err(FromSqlError::InvalidType),
                }
            }
        }
        impl ToSql for $t {
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                i64::try_from(*self).map(ToSqlOutput::Integer).map_err(|e| {
                    Error::FromSqlConversionFailure(0, Box::new(e))
                })
            }
            fn null_kind() -> Kind {
                Kind::Integer
            }
        }
    )*};
}
integer_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl FromSql for bool {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(i) => Ok(i != 0),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}
impl ToSql for bool {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Integer(i64::from(*self)))
    }
    fn null_kind() -> Kind {
        Kind::Integer
    }
}

impl FromSql for f64 {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Real(r) => Ok(r),
            ValueRef::Integer(i) => Ok(i as f64),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}
impl ToSql for f64 {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Real(*self))
    }
    fn null_kind() -> Kind {
        Kind::Real
    }
}

impl FromSql for String {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(str::to_owned)
    }
}
impl ToSql for String {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Text(Cow::Borrowed(self)))
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}
impl ToSql for Cow<'_, str> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Text(Cow::Borrowed(self)))
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}
impl ToSql for str {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Text(Cow::Borrowed(self)))
    }
}

impl FromSql for Vec<u8> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}
impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Blob(Cow::Borrowed(self)))
    }
    fn null_kind() -> Kind {
        Kind::Blob
    }
}
impl ToSql for [u8] {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Blob(Cow::Borrowed(self)))
    }
}

impl FromSql for Value {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(value.to_owned())
    }
}
impl ToSql for Value {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Null(Kind::Text),
            Value::Integer(i) => ToSqlOutput::Integer(*i),
            Value::Real(r) => ToSqlOutput::Real(*r),
            Value::Text(t) => ToSqlOutput::Text(Cow::Borrowed(t)),
            Value::Blob(b) => ToSqlOutput::Blob(Cow::Borrowed(b)),
        })
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(None),
            v => T::column_result(v).map(Some),
        }
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        match self {
            Some(v) => v.to_sql(),
            None => Ok(ToSqlOutput::Null(T::null_kind())),
        }
    }
    fn null_kind() -> Kind {
        T::null_kind()
    }
}

// A NULL through a reference has its referent's kind, so `None::<&i64>` binds as a BIGINT on
// PostgreSQL rather than TEXT (which a BIGINT column refuses). The unsized referents have their
// own impls, since an unsized `T` has no `null_kind` to ask.
impl<T: ToSql> ToSql for &T {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    fn null_kind() -> Kind {
        T::null_kind()
    }
}
impl ToSql for &str {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}
impl ToSql for &[u8] {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    fn null_kind() -> Kind {
        Kind::Blob
    }
}
impl ToSql for &dyn ToSql {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}

impl<T: ToSql> ToSql for Box<T> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    fn null_kind() -> Kind {
        T::null_kind()
    }
}

// --- parameters -------------------------------------------------------------------------------

/// The values bound to one statement: `params![..]`, a tuple, `[]`, or `params_from_iter`.
pub trait Params {
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>>;
}

impl Params for [&dyn ToSql] {
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.iter().map(|p| p.to_sql()).collect()
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.iter().map(|p| p.to_sql()).collect()
    }
}

impl<P: Params + ?Sized> Params for &P {
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        (**self).values()
    }
}

impl Params for () {
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        Ok(Vec::new())
    }
}

macro_rules! tuple_params {
    ($($name:ident : $idx:tt),+) => {
        impl<$($name: ToSql),+> Params for ($($name,)+) {
            fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
                Ok(vec![$(self.$idx.to_sql()?),+])
            }
        }
    };
}
tuple_params!(A: 0);
tuple_params!(A: 0, B: 1);
tuple_params!(A: 0, B: 1, C: 2);
tuple_params!(A: 0, B: 1, C: 2, D: 3);
tuple_params!(A: 0, B: 1, C: 2, D: 3, E: 4);
tuple_params!(A: 0, B: 1, C: 2, D: 3, E: 4, F: 5);
tuple_params!(A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6);
tuple_params!(A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7);

/// Values from an iterator (a list query's collected arguments).
pub struct ParamsFromIter<I>(I);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator + Clone,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator + Clone,
    I::Item: ToSql,
{
    fn values(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.0
            .clone()
            .into_iter()
            .map(|p| p.to_sql().map(into_static))
            .collect()
    }
}

fn into_static(v: ToSqlOutput<'_>) -> ToSqlOutput<'static> {
    match v {
        ToSqlOutput::Null(k) => ToSqlOutput::Null(k),
        ToSqlOutput::Integer(i) => ToSqlOutput::Integer(i),
        ToSqlOutput::Real(r) => ToSqlOutput::Real(r),
        ToSqlOutput::Text(t) => ToSqlOutput::Text(Cow::Owned(t.into_owned())),
        ToSqlOutput::Blob(b) => ToSqlOutput::Blob(Cow::Owned(b.into_owned())),
    }
}

/// `params![a, b, c]`: heterogeneous values for one statement.
#[macro_export]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::store::sql::ToSql] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::sql::ToSql),+] as &[&dyn $crate::store::sql::ToSql] };
}
pub use crate::sql_params as params;

impl rusqlite::ToSql for ToSqlOutput<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput as Out, ValueRef as V};
        Ok(match self {
            ToSqlOutput::Null(_) => Out::Borrowed(V::Null),
            ToSqlOutput::Integer(i) => Out::Borrowed(V::Integer(*i)),
            ToSqlOutput::Real(r) => Out::Borrowed(V::Real(*r)),
            ToSqlOutput::Text(t) => Out::Borrowed(V::Text(t.as_bytes())),
            ToSqlOutput::Blob(b) => Out::Borrowed(V::Blob(b)),
        })
    }
}

impl postgres::types::ToSql for ToSqlOutput<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::private::BytesMut;
        fn put(out: &mut BytesMut, bytes: &[u8]) {
            out.extend_from_slice(bytes);
        }
        match self {
            ToSqlOutput::Null(_) => return Ok(IsNull::Yes),
            ToSqlOutput::Integer(i) => put(out, &i.to_be_bytes()),
            ToSqlOutput::Real(r) => put(out, &r.to_be_bytes()),
            ToSqlOutput::Text(t) => put(out, t.as_bytes()),
            ToSqlOutput::Blob(b) => put(out, b),
        }
        Ok(IsNull::No)
    }

    /// The statement was prepared with this value's own type (see [`Kind::pg_type`]).
    fn accepts(_ty: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

// --- rows -------------------------------------------------------------------------------------

/// One result row, from either backend.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

/// A column's position (from 0).
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `idx` (from 0) as `T`.
    pub fn get<I: ColumnIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let idx = idx.index();
        let convert = |value: ValueRef<'_>| {
            T::column_result(value).map_err(|e| match e {
                FromSqlError::Other(source) => Error::FromSqlConversionFailure(idx, source),
                other => Error::FromSqlConversionFailure(idx, Box::new(other)),
            })
        };
        match self {
            Row::Sqlite(row) => {
                let value = match row.get_ref(idx)? {
                    rusqlite::types::ValueRef::Null => ValueRef::Null,
                    rusqlite::types::ValueRef::Integer(i) => ValueRef::Integer(i),
                    rusqlite::types::ValueRef::Real(r) => ValueRef::Real(r),
                    rusqlite::types::ValueRef::Text(t) => ValueRef::Text(
                        std::str::from_utf8(t)
                            .map_err(|e| Error::FromSqlConversionFailure(idx, Box::new(e)))?,
                    ),
                    rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
                };
                convert(value)
            }
            Row::Postgres(row) => {
                let ty = row
                    .columns()
                    .get(idx)
                    .map(|c| c.type_().clone())
                    .ok_or_else(|| Error::FromSqlConversionFailure(idx, "no such column".into()))?;
                let raw: Option<Raw<'_>> = row.try_get(idx)?;
                let numeric;
                let value = match raw {
                    None => ValueRef::Null,
                    Some(Raw(bytes)) => match ty {
                        Type::INT8 => ValueRef::Integer(i64::from_be_bytes(fixed(idx, bytes)?)),
                        Type::INT4 => {
                            ValueRef::Integer(i64::from(i32::from_be_bytes(fixed(idx, bytes)?)))
                        }
                        Type::INT2 => {
                            ValueRef::Integer(i64::from(i16::from_be_bytes(fixed(idx, bytes)?)))
                        }
                        Type::OID => {
                            ValueRef::Integer(i64::from(u32::from_be_bytes(fixed(idx, bytes)?)))
                        }
                        Type::BOOL => ValueRef::Integer(i64::from(bytes.first() == Some(&1))),
                        Type::FLOAT8 => ValueRef::Real(f64::from_be_bytes(fixed(idx, bytes)?)),
                        Type::FLOAT4 => {
                            ValueRef::Real(f64::from(f32::from_be_bytes(fixed(idx, bytes)?)))
                        }
                        Type::NUMERIC => {
                            numeric = decode_numeric(bytes)
                                .map_err(|e| Error::FromSqlConversionFailure(idx, e.into()))?;
                            numeric
                        }
                        Type::BYTEA => ValueRef::Blob(bytes),
                        // JSONB's binary form is a version byte, then the text.
                        Type::JSONB => ValueRef::Text(utf8(idx, bytes.get(1..).unwrap_or(&[]))?),
                        _ => ValueRef::Text(utf8(idx, bytes)?),
                    },
                };
                convert(value)
            }
        }
    }
}

fn fixed<const N: usize>(idx: usize, bytes: &[u8]) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| Error::FromSqlConversionFailure(idx, "unexpected value width".into()))
}

fn utf8(idx: usize, bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| Error::FromSqlConversionFailure(idx, Box::new(e)))
}

/// A NUMERIC in PostgreSQL's binary form (what `SUM` of a BIGINT returns): an integer when it
/// has no fraction and fits, a real otherwise.
fn decode_numeric(bytes: &[u8]) -> std::result::Result<ValueRef<'static>, String> {
    let word = |i: usize| -> std::result::Result<i16, String> {
        bytes
            .get(i * 2..i * 2 + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".to_string())
    };
    let digits = word(0)?;
    let weight = i32::from(word(1)?);
    let sign = word(2)? as u16;
    if sign == 0xC000 {
        return Err("NaN is not a number salesagent stores".into());
    }
    let mut value = 0f64;
    let mut integral = true;
    for i in 0..digits.max(0) as usize {
        let d = f64::from(word(4 + i)?);
        let power = weight - i as i32;
        if power < 0 && d != 0.0 {
            integral = false;
        }
        value += d * 10_000f64.powi(power);
    }
    if sign == 0x4000 {
        value = -value;
    }
    if integral && value.abs() < 9.0e15 {
        Ok(ValueRef::Integer(value as i64))
    } else {
        Ok(ValueRef::Real(value))
    }
}

/// A column's bytes as PostgreSQL sent them (binary format), decoded by [`Row::get`].
struct Raw<'a>(&'a [u8]);

impl<'a> postgres::types::FromSql<'a> for Raw<'a> {
    fn from_sql(
        _ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }
    fn accepts(_ty: &Type) -> bool {
        true
    }
}

// --- connections ------------------------------------------------------------------------------

/// How to reach a PostgreSQL database, kept so a lost connection is made again.
#[derive(Clone)]
pub struct PgTarget {
    pub config: postgres::Config,
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl PgTarget {
    pub fn connect(&self) -> std::result::Result<postgres::Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(postgres::NoTls),
        }
    }
}

/// Values as the `postgres` client binds them.
type PgArgs<'v> = Vec<&'v (dyn postgres::types::ToSql + Sync)>;

/// A PostgreSQL connection with its statement cache.
struct PgConn {
    client: RefCell<postgres::Client>,
    target: PgTarget,
    /// The kept statements by their text as the store wrote it: each converted to `$N` once
    /// and prepared once per kinds of values, not converted, copied and hashed again per run.
    texts: RefCell<HashMap<String, Arc<PgText>>>,
    /// Counts the times this connection's prepared statements were lost (a new connection, a
    /// statement the server no longer knows): a form prepared in an earlier one is not used.
    generation: Cell<u64>,
    /// Inside BEGIN … COMMIT: a lost connection then fails the transaction rather than being
    /// silently replaced mid-way.
    in_tx: Cell<bool>,
}

/// A statement's text as PostgreSQL reads it, and its prepared forms on one connection.
struct PgText {
    text: String,
    /// Whether `text` is the written text with its placeholders converted (else as written:
    /// [`Conn::query_columns`]'s), so that one written text never stands for two.
    converted: bool,
    /// A lock only because a connection may move between threads; one thread uses it at a time.
    prepared: Mutex<Vec<Prepared>>,
}

/// A prepared form of a [`PgText`]: the server's statement for these kinds of values.
struct Prepared {
    generation: u64,
    kinds: Vec<Kind>,
    statement: postgres::Statement,
}

impl PgConn {
    /// The client, connected again first when the server closed the last connection (a
    /// restart): the caller's statement then runs on the new one.
    fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>> {
        let mut client = self.client.borrow_mut();
        if client.is_closed() {
            if self.in_tx.get() {
                return Err(Error::Disconnected(
                    "the connection closed inside a transaction".into(),
                ));
            }
            *client = self
                .target
                .connect()
                .map_err(|e| Error::Disconnected(pg_message(&e)))?;
            self.forget_prepared();
        }
        Ok(client)
    }

    /// The statements prepared so far are gone from the server: each is prepared again on its
    /// next run.
    fn forget_prepared(&self) {
        self.generation.set(self.generation.get() + 1);
    }

    /// `sql` as PostgreSQL reads it (`convert`: its `?N` placeholders as `$N`): from the cache
    /// when `keep`, else made for this one run (SQL built at run time would only churn the
    /// cache).
    fn text(&self, sql: &str, convert: bool, keep: bool) -> PgSql {
        if keep {
            if let Some(text) = self
                .texts
                .borrow()
                .get(sql)
                .filter(|t| t.converted == convert)
            {
                return PgSql {
                    text: Arc::clone(text),
                    keep,
                };
            }
        }
        let text = Arc::new(PgText {
            text: if convert {
                to_dollar_placeholders(sql)
            } else {
                sql.to_owned()
            },
            converted: convert,
            prepared: Mutex::new(Vec::new()),
        });
        if keep {
            let mut texts = self.texts.borrow_mut();
            if texts.len() > 512 {
                texts.clear();
            }
            texts.insert(sql.to_owned(), Arc::clone(&text));
        }
        PgSql { text, keep }
    }

    /// The server's statement for `sql` with these kinds of values: prepared once per
    /// connection when `sql` is kept, else for this one run.
    fn statement(&self, sql: &PgSql, kinds: Vec<Kind>) -> Result<postgres::Statement> {
        // Connected again first if the server closed the connection: a statement prepared on
        // the last one does not exist on the new one (reconnecting forgets them).
        let mut client = self.client()?;
        let generation = self.generation.get();
        let current = |p: &Prepared| p.generation == generation;
        let prepared = |text: &PgText| {
            let forms = text.prepared.lock().unwrap_or_else(PoisonError::into_inner);
            forms
                .iter()
                .find(|p| current(p) && p.kinds == kinds)
                .map(|p| p.statement.clone())
        };
        if let Some(statement) = prepared(&sql.text) {
            return Ok(statement);
        }
        let types: Vec<Type> = kinds.iter().map(|k| k.pg_type()).collect();
        let statement = client.prepare_typed(&sql.text.text, &types)?;
        if sql.keep {
            let mut forms = (sql.text.prepared.lock()).unwrap_or_else(PoisonError::into_inner);
            forms.retain(current);
            forms.push(Prepared {
                generation,
                kinds,
                statement: statement.clone(),
            });
        }
        Ok(statement)
    }

    /// The prepared statement for `sql` with these values' types, and the values as the
    /// client binds them.
    fn bind<'v>(
        &self,
        sql: &PgSql,
        values: &'v [ToSqlOutput<'_>],
    ) -> Result<(postgres::Statement, PgArgs<'v>)> {
        let kinds = values.iter().map(ToSqlOutput::kind).collect();
        let stmt = self.statement(sql, kinds)?;
        let args = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok((stmt, args))
    }

    fn run_query(&self, sql: &PgSql, values: &[ToSqlOutput<'_>]) -> Result<Vec<postgres::Row>> {
        let (stmt, args) = self.bind(sql, values)?;
        let result = self.client()?.query(&stmt, &args);
        result.map_err(|e| self.after_error(e))
    }

    fn run_execute(&self, sql: &PgSql, values: &[ToSqlOutput<'_>]) -> Result<usize> {
        let (stmt, args) = self.bind(sql, values)?;
        let result = self.client()?.execute(&stmt, &args);
        result.map(|n| n as usize).map_err(|e| self.after_error(e))
    }

    fn batch(&self, sql: &str) -> Result<()> {
        let result = self.client()?.batch_execute(sql);
        result.map_err(|e| self.after_error(e))
    }

    /// A statement the server no longer knows (it restarted, or a migration changed a table)
    /// leaves the cache.
    fn after_error(&self, e: postgres::Error) -> Error {
        if e.code() == Some(&postgres::error::SqlState::INVALID_SQL_STATEMENT_NAME)
            || e.code() == Some(&postgres::error::SqlState::FEATURE_NOT_SUPPORTED)
        {
            self.forget_prepared();
        }
        Error::Postgres(e)
    }
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

/// An open database connection.
pub struct Conn {
    backend: Backend,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conn({:?})", self.dialect())
    }
}

impl Conn {
    pub fn sqlite(conn: rusqlite::Connection) -> Conn {
        Conn {
            backend: Backend::Sqlite(conn),
        }
    }

    pub fn postgres(target: PgTarget) -> std::result::Result<Conn, postgres::Error> {
        let client = target.connect()?;
        Ok(Conn {
            backend: Backend::Postgres(Box::new(PgConn {
                client: RefCell::new(client),
                target,
                texts: RefCell::new(HashMap::new()),
                generation: Cell::new(0),
                in_tx: Cell::new(false),
            })),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A new connection to the same PostgreSQL database, for a session of its own (LISTEN);
    /// `None` on SQLite.
    pub fn another_postgres(&self) -> Option<Result<Conn>> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(pg) => Some(Conn::postgres(pg.target.clone()).map_err(Error::from)),
        }
    }

    /// Waits up to `timeout` for a notification on a channel this PostgreSQL session LISTENs to
    /// and returns how many arrived (0: none came in time). A connection lost meanwhile is
    /// [`Error::Disconnected`]: its LISTENs are gone with it. SQLite has no notifications: it
    /// sleeps for `timeout` and returns 0.
    pub fn wait_for_notifications(&self, timeout: std::time::Duration) -> Result<usize> {
        use postgres::fallible_iterator::FallibleIterator;
        let Backend::Postgres(pg) = &self.backend else {
            std::thread::sleep(timeout);
            return Ok(0);
        };
        let mut client = pg.client.borrow_mut();
        let mut notifications = client.notifications();
        let mut arrived = 0;
        // The first waits up to `timeout`; those queued with it are taken without waiting.
        if notifications.timeout_iter(timeout).next()?.is_some() {
            arrived = 1 + notifications.iter().count()?;
        }
        drop(notifications);
        if arrived == 0 && client.is_closed() {
            return Err(Error::Disconnected(
                "the listening connection closed".into(),
            ));
        }
        Ok(arrived)
    }

    /// The SQLite connection, for what only SQLite has (pragmas, checkpoints, backups).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.backend {
            Backend::Sqlite(c) => Some(c),
            Backend::Postgres(_) => None,
        }
    }

    pub fn as_sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.backend {
            Backend::Sqlite(c) => Some(c),
            Backend::Postgres(_) => None,
        }
    }

    /// Runs one statement; returns the rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs several statements with no parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Backend::Postgres(pg) => pg.batch(sql),
        }
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// A statement, kept prepared for the next call with the same SQL.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_kept(sql, true)
    }

    /// A statement run once (SQL built at run time that would only fill the cache).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_kept(sql, false)
    }

    fn prepare_kept(&self, sql: &str, keep: bool) -> Result<Statement<'_>> {
        Ok(Statement {
            inner: match &self.backend {
                Backend::Sqlite(c) if keep => {
                    StatementInner::Sqlite(SqliteStatement::Cached(c.prepare_cached(sql)?))
                }
                Backend::Sqlite(c) => {
                    StatementInner::Sqlite(SqliteStatement::Once(c.prepare(sql)?))
                }
                Backend::Postgres(pg) => StatementInner::Postgres(pg, pg.text(sql, true, keep)),
            },
        })
    }

    /// PostgreSQL only: runs `sql` (written with `$1`, `$2`… and a cast naming each array's
    /// type) with one [`Column`] per placeholder, and reads each row it returns with `each`. Kept
    /// prepared. Outside a transaction the statement is its own: the server commits it before it
    /// answers (`synchronous_commit` as configured), so a return without error means committed,
    /// and an error means nothing of it was.
    pub fn query_columns(
        &self,
        sql: &str,
        columns: &[Column<'_>],
        mut each: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let Backend::Postgres(pg) = &self.backend else {
            return Err(Error::Sqlite(rusqlite::Error::InvalidQuery));
        };
        let stmt = pg.statement(&pg.text(sql, false, true), Vec::new())?;
        let args: PgArgs<'_> = columns
            .iter()
            .map(|c| c as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let result = pg.client()?.query(&stmt, &args);
        for row in result.map_err(|e| pg.after_error(e))? {
            each(&Row::Postgres(&row))?;
        }
        Ok(())
    }

    /// A write transaction. SQLite: BEGIN IMMEDIATE, which takes the database's one write lock
    /// up front. PostgreSQL: BEGIN plus a transaction-scoped advisory lock, so write
    /// transactions take turns across every process and host exactly as SQLite's writers do;
    /// the checks they make before writing (caps, states, fences) then hold as they do on SQLite.
    pub fn write_tx(&self) -> Result<Transaction<'_>> {
        self.begin("BEGIN; SELECT pg_advisory_xact_lock(7355608)")
    }

    /// A transaction that does not take the write lock: on PostgreSQL its writes rely on row
    /// locks (`FOR UPDATE SKIP LOCKED` claims, `ON CONFLICT` inserts) alone. SQLite has one
    /// writer, so it is an IMMEDIATE transaction there too.
    pub fn row_locked_tx(&self) -> Result<Transaction<'_>> {
        self.begin("BEGIN")
    }

    /// [`Conn::row_locked_tx`] whose statements PostgreSQL runs on their generic plans (`SET
    /// LOCAL plan_cache_mode`, sent with the BEGIN: no round trip of its own). For a statement
    /// that PostgreSQL's plan cache would otherwise plan afresh on every call although the plan
    /// does not change with its values: the claim, whose `LIMIT` and `run_at` bound make each
    /// custom plan look cheaper than the generic one, yet the index plan is the same
    /// (BENCHMARKS.md, issue 19, eleventh round). A plan is never wrong, only slower or faster.
    pub fn row_locked_tx_on_generic_plans(&self) -> Result<Transaction<'_>> {
        self.begin("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
    }

    /// Begins a transaction: SQLite's IMMEDIATE one, or `postgres_begin` on PostgreSQL.
    fn begin(&self, postgres_begin: &str) -> Result<Transaction<'_>> {
        match &self.backend {
            Backend::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Backend::Postgres(pg) => {
                pg.batch(postgres_begin)?;
                pg.in_tx.set(true);
            }
        }
        Ok(Transaction {
            conn: self,
            done: false,
            at_commit: RefCell::new(String::new()),
        })
    }

    fn end(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Backend::Postgres(pg) => {
                pg.in_tx.set(false);
                // A lost connection has no transaction left to end.
                if pg.client.borrow().is_closed() {
                    return Err(Error::Disconnected(
                        "the connection closed inside a transaction".into(),
                    ));
                }
                pg.batch(sql)
            }
        }
    }
}

/// An open transaction: rolled back when dropped without [`Transaction::commit`].
pub struct Transaction<'a> {
    conn: &'a Conn,
    done: bool,
    /// Statements without parameters that run just before COMMIT (see [`Transaction::at_commit`]).
    at_commit: RefCell<String>,
}

impl Transaction<'_> {
    /// Runs `sql` (statements without parameters) as the transaction's last, in the COMMIT's
    /// own round trip on PostgreSQL (one message for both): a `pg_notify` costs no round trip of
    /// its own. If it fails, the commit fails and nothing is committed.
    pub fn at_commit(&self, sql: &str) {
        let mut deferred = self.at_commit.borrow_mut();
        deferred.push_str(sql);
        deferred.push_str("; ");
    }

    /// Commits. A COMMIT that fails (a full disk, SQLITE_BUSY) leaves no transaction open
    /// behind it: SQLite's is rolled back here, and PostgreSQL ends a failed one itself (a
    /// failed `at_commit` statement before it is rolled back here).
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let deferred = std::mem::take(&mut *self.at_commit.borrow_mut());
        let result = self.conn.end(&format!("{deferred}COMMIT"));
        if result.is_err() {
            match self.conn.as_sqlite() {
                Some(c) if !c.is_autocommit() => {
                    let _ = c.execute_batch("ROLLBACK");
                }
                Some(_) => {}
                // After a failed COMMIT there is nothing left to roll back (a warning only).
                None if !deferred.is_empty() => {
                    let _ = self.conn.end("ROLLBACK");
                }
                None => {}
            }
        }
        result
    }

    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.end("ROLLBACK")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.end("ROLLBACK");
        }
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

enum StatementInner<'a> {
    Sqlite(SqliteStatement<'a>),
    Postgres(&'a PgConn, PgSql),
}

/// A SQLite statement from the connection's cache, or prepared for one run.
enum SqliteStatement<'a> {
    Cached(rusqlite::CachedStatement<'a>),
    Once(rusqlite::Statement<'a>),
}

impl<'a> SqliteStatement<'a> {
    fn get(&mut self) -> &mut rusqlite::Statement<'a> {
        match self {
            SqliteStatement::Cached(stmt) => stmt,
            SqliteStatement::Once(stmt) => stmt,
        }
    }
}

/// A statement's SQL as PostgreSQL reads it, and whether its prepared form is kept.
struct PgSql {
    text: Arc<PgText>,
    keep: bool,
}

/// A prepared statement.
pub struct Statement<'a> {
    inner: StatementInner<'a>,
}

impl Statement<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values()?;
        match &mut self.inner {
            StatementInner::Sqlite(stmt) => {
                Ok(stmt.get().execute(rusqlite::params_from_iter(values))?)
            }
            StatementInner::Postgres(pg, sql) => pg.run_execute(sql, &values),
        }
    }

    /// Every row, each read by `f`.
    pub fn query_map<T, P, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let values = params.values()?;
        let mut out = Vec::new();
        match &mut self.inner {
            StatementInner::Sqlite(stmt) => {
                let mut rows = stmt.get().query(rusqlite::params_from_iter(values))?;
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Sqlite(row)));
                }
            }
            StatementInner::Postgres(pg, sql) => {
                for row in pg.run_query(sql, &values)? {
                    out.push(f(&Row::Postgres(&row)));
                }
            }
        }
        Ok(out.into_iter())
    }

    /// The first row, read by `f`; [`Error::QueryReturnedNoRows`] when there is none.
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let values = params.values()?;
        match &mut self.inner {
            StatementInner::Sqlite(stmt) => {
                let mut rows = stmt.get().query(rusqlite::params_from_iter(values))?;
                match rows.next()? {
                    Some(row) => f(&Row::Sqlite(row)),
                    None => Err(Error::QueryReturnedNoRows),
                }
            }
            StatementInner::Postgres(pg, sql) => match pg.run_query(sql, &values)?.first() {
                Some(row) => f(&Row::Postgres(row)),
                None => Err(Error::QueryReturnedNoRows),
            },
        }
    }

    /// Whether the query returns any row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }
}

// --- multi-row statements ---------------------------------------------------------------------

/// The row counts a [`MultiRow`] statement is written for, largest first: a batch of any size
/// runs as chunks of these, so its SQL is one of a few texts that the statement caches keep,
/// where a text per batch size would be prepared anew each time.
pub const CHUNK_ROWS: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/// A statement over many rows of values, `head` `(?1, ?2), (?3, ?4)…` `tail`: a multi-row
/// INSERT, or a `FROM (VALUES …)` to join against. One round trip for a chunk of rows on
/// PostgreSQL, where a statement per row is one each; the same SQL on SQLite, where a row is a
/// function call either way. At 256 rows a statement stays within both backends' limits on
/// bound values (SQLite 32,766, PostgreSQL 65,535) for up to 127 columns.
///
/// On SQLite a batch is split exactly (255 rows: 128 + 64 + … + 1). On PostgreSQL, where each
/// chunk is a round trip, a [`MultiRow::padded`] statement takes up to 256 rows in one: its last
/// chunk is filled up to the next size with repeats of its last row (31 rows: 32). Such a
/// statement must take a repeated row as that row once (`ON CONFLICT DO NOTHING` on a key the
/// row carries; a SELECT whose reader keys what it reads).
pub struct MultiRow {
    head: &'static str,
    columns: usize,
    tail: &'static str,
    repeats_are_harmless: bool,
    texts: std::sync::OnceLock<Vec<String>>,
}

impl MultiRow {
    pub const fn new(head: &'static str, columns: usize, tail: &'static str) -> MultiRow {
        MultiRow::with(head, columns, tail, false)
    }

    /// A statement that takes a repeated row as that row once, whose chunks PostgreSQL pads.
    pub const fn padded(head: &'static str, columns: usize, tail: &'static str) -> MultiRow {
        MultiRow::with(head, columns, tail, true)
    }

    const fn with(head: &'static str, columns: usize, tail: &'static str, pad: bool) -> MultiRow {
        assert!(columns > 0 && columns * CHUNK_ROWS[0] <= 32_766);
        MultiRow {
            head,
            columns,
            tail,
            repeats_are_harmless: pad,
            texts: std::sync::OnceLock::new(),
        }
    }

    /// The SQL for a chunk of `rows` rows (one of [`CHUNK_ROWS`]), written once per process.
    pub fn sql(&self, rows: usize) -> &str {
        let texts = self
            .texts
            .get_or_init(|| CHUNK_ROWS.iter().map(|&n| self.sql_for(n)).collect());
        let i = CHUNK_ROWS.iter().position(|&n| n == rows);
        &texts[i.expect("a chunk is one of CHUNK_ROWS")]
    }

    /// The SQL for exactly `rows` rows, written anew: for a caller that runs a whole batch as
    /// one statement of its own size (a text per size, kept by the statement caches).
    pub fn sql_for(&self, rows: usize) -> String {
        self.sql_from(rows, 1)
    }

    /// [`MultiRow::sql_for`] with its placeholders numbered from `?{first}`: the statement as a
    /// part of a larger one whose first `first - 1` values are another part's.
    pub fn sql_from(&self, rows: usize, first: usize) -> String {
        let mut sql = String::from(self.head);
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for col in 0..self.columns {
                if col > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("?{}", row * self.columns + col + first));
            }
            sql.push(')');
        }
        sql.push_str(self.tail);
        sql
    }

    /// `rows` rows as chunks, largest first: each the range of rows it holds and the size of
    /// statement it runs in (one of [`CHUNK_ROWS`]). Exact (the size is the range's length), or
    /// with `pad` the rest after the full chunks in one chunk of the next size up.
    pub fn chunks(rows: usize, pad: bool) -> impl Iterator<Item = (std::ops::Range<usize>, usize)> {
        let mut start = 0;
        std::iter::from_fn(move || {
            let left = rows - start;
            if left == 0 {
                return None;
            }
            let size = if pad {
                *CHUNK_ROWS
                    .iter()
                    .rev()
                    .find(|&&n| n >= left)
                    .unwrap_or(&CHUNK_ROWS[0])
            } else {
                *CHUNK_ROWS.iter().find(|&&n| n <= left)?
            };
            let taken = size.min(left);
            start += taken;
            Some((start - taken..start, size))
        })
    }

    /// Runs the statement for `rows` rows, chunk by chunk: `bind` appends one row's values
    /// (exactly `columns` of them) and `each` reads each row the statement returns (a
    /// RETURNING, or a SELECT's; a padded chunk's repeats may return their row again).
    pub fn run<'v, R>(
        &self,
        conn: &Conn,
        rows: &'v [R],
        bind: impl FnMut(&'v R, &mut Vec<&'v dyn ToSql>),
        mut each: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.each_chunk(conn, rows, bind, |stmt, values| {
            for row in stmt.query_map(values, |r| each(r))? {
                row?;
            }
            Ok(())
        })
    }

    /// Runs a statement that returns no rows for `rows` rows, chunk by chunk; returns the
    /// rows it changed (a padded chunk's repeats that did nothing not among them).
    pub fn execute<'v, R>(
        &self,
        conn: &Conn,
        rows: &'v [R],
        bind: impl FnMut(&'v R, &mut Vec<&'v dyn ToSql>),
    ) -> Result<usize> {
        let mut changed = 0;
        self.each_chunk(conn, rows, bind, |stmt, values| {
            changed += stmt.execute(values)?;
            Ok(())
        })?;
        Ok(changed)
    }

    fn each_chunk<'v, R>(
        &self,
        conn: &Conn,
        rows: &'v [R],
        mut bind: impl FnMut(&'v R, &mut Vec<&'v dyn ToSql>),
        mut run: impl FnMut(&mut Statement<'_>, &[&'v dyn ToSql]) -> Result<()>,
    ) -> Result<()> {
        let pad = self.repeats_are_harmless && conn.dialect() == Dialect::Postgres;
        let mut values: Vec<&'v dyn ToSql> = Vec::new();
        for (chunk, size) in MultiRow::chunks(rows.len(), pad) {
            values.clear();
            for row in &rows[chunk.clone()] {
                bind(row, &mut values);
            }
            for _ in chunk.len()..size {
                bind(&rows[chunk.end - 1], &mut values);
            }
            debug_assert_eq!(values.len(), size * self.columns);
            run(&mut conn.prepare_cached(self.sql(size))?, &values)?;
        }
        Ok(())
    }
}

// --- whole columns as arrays (PostgreSQL) ------------------------------------------------------

/// A whole column of a batch's values, bound as one PostgreSQL array (`unnest($1::text[], …)`
/// reads the columns back as rows): a statement over any number of rows is one text, prepared
/// once, with one value per column rather than one per row and column. PostgreSQL only (see
/// [`Conn::query_columns`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Column<'a> {
    Text(Vec<Option<&'a str>>),
    Integer(Vec<Option<i64>>),
    Blob(Vec<Option<&'a [u8]>>),
}

impl postgres::types::ToSql for Column<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The statement names each array's type (`$1::text[]`): a column of another kind is a
        // mistake in the statement, refused rather than sent as the wrong bytes.
        let expected = match self {
            Column::Text(_) => Type::TEXT_ARRAY,
            Column::Integer(_) => Type::INT8_ARRAY,
            Column::Blob(_) => Type::BYTEA_ARRAY,
        };
        if *ty != expected {
            return Err(format!("a {expected} column bound where the statement takes {ty}").into());
        }
        match self {
            Column::Text(v) => v.to_sql(ty, out),
            Column::Integer(v) => v.to_sql(ty, out),
            Column::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// SQLite's `?1` / `?` placeholders as PostgreSQL's `$1`, outside quoted text and identifiers.
pub fn to_dollar_placeholders(sql: &str) -> String {
    let mut highest = 0;
    rewrite_placeholders(sql, |n| {
        let n = n.unwrap_or(highest + 1);
        highest = highest.max(n);
        format!("${n}")
    })
}

/// `sql` (numbered `?N` placeholders) with each placeholder moved up by `offset`: the statement
/// as a part of a larger one whose first `offset` values are other parts'.
pub fn renumbered(sql: &str, offset: usize) -> String {
    rewrite_placeholders(sql, |n| {
        format!("?{}", n.expect("numbered placeholders (?N)") + offset)
    })
}

/// `sql` with each placeholder outside quoted text and identifiers (`?N`, or a bare `?`: `None`)
/// replaced by what `each` makes of its number.
fn rewrite_placeholders(sql: &str, mut each: impl FnMut(Option<usize>) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let number = (!digits.is_empty()).then(|| digits.parse().unwrap_or(0));
                out.push_str(&each(number));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbered_moves_every_placeholder_and_leaves_quoted_text() {
        assert_eq!(
            renumbered("SELECT ?1, '?2', ?12, ?1 WHERE x = \"?3\"", 4),
            "SELECT ?5, '?2', ?16, ?5 WHERE x = \"?3\""
        );
    }

    /// A connection the server closed is opened again by the next statement, which must then
    /// run on the new connection: a statement prepared on the old one (taken from the cache
    /// before reconnecting) does not exist there, and failed a second statement after every
    /// outage.
    #[test]
    fn the_first_statement_after_a_reconnect_runs_on_the_new_connection() {
        let store = crate::store::Store::open_in_memory().unwrap();
        if store.conn.dialect() != Dialect::Postgres {
            return;
        }
        let one = |store: &crate::store::Store| -> Result<i64> {
            store
                .conn
                .query_row("SELECT 1 + ?1", params![0_i64], |r| r.get(0))
        };
        assert_eq!(one(&store).unwrap(), 1);
        // The server ends this connection (as a restart would). The client learns of it by
        // using it: the next statement fails (connection reset), and the one after connects
        // again and must run.
        let _ = store
            .conn
            .execute_batch("SELECT pg_terminate_backend(pg_backend_pid())");
        std::thread::sleep(std::time::Duration::from_millis(100));
        let _ = one(&store);
        assert_eq!(
            one(&store).unwrap(),
            1,
            "a statement cached on the closed connection ran on the new one"
        );
        let mut other = store.conn.prepare_cached("SELECT 2 + ?1").unwrap();
        let two: i64 = other.query_row(params![0_i64], |r| r.get(0)).unwrap();
        assert_eq!(two, 2);
    }

    /// A kept statement is prepared once for each kinds of values it runs with, and prepared
    /// again (not reused) once the server has forgotten it.
    #[test]
    fn a_kept_statement_is_prepared_once_per_kinds_of_values_and_again_when_forgotten() {
        let store = crate::store::Store::open_in_memory().unwrap();
        if store.conn.dialect() != Dialect::Postgres {
            return;
        }
        let conn = &store.conn;
        let prepared = || -> i64 {
            conn.query_row(
                "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1 IS NULL%'",
                (),
                |r| r.get(0),
            )
            .unwrap()
        };
        let is_null = |value: &dyn ToSql| -> Result<bool> {
            conn.query_row("SELECT ?1 IS NULL", params![value], |r| r.get(0))
        };
        assert!(!is_null(&1_i64).unwrap());
        assert!(!is_null(&2_i64).unwrap());
        assert_eq!(prepared(), 1, "the same kinds of values use one statement");
        assert!(!is_null(&"text").unwrap());
        assert!(is_null(&None::<&str>).unwrap());
        assert_eq!(prepared(), 2, "a text value has a statement of its own");
        // The server forgets every prepared statement (as a pooler or a DISCARD would): the
        // next run fails with that, and the one after prepares it again.
        conn.execute_batch("DEALLOCATE ALL").unwrap();
        let _ = is_null(&3_i64);
        assert!(!is_null(&4_i64).unwrap());
        assert!(!is_null(&"again").unwrap());
        assert_eq!(prepared(), 2);
    }

    #[test]
    fn a_batch_runs_as_chunks_of_the_fixed_sizes_largest_first() {
        let sizes = |n, pad| {
            MultiRow::chunks(n, pad)
                .map(|(r, size)| (r.len(), size))
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(0, false), vec![]);
        assert_eq!(sizes(1, false), vec![(1, 1)]);
        assert_eq!(
            sizes(300, false),
            vec![(256, 256), (32, 32), (8, 8), (4, 4)]
        );
        assert_eq!(sizes(513, false), vec![(256, 256), (256, 256), (1, 1)]);
        let ranges: Vec<_> = MultiRow::chunks(7, false).map(|(r, _)| r).collect();
        assert_eq!(ranges, vec![0..4, 4..6, 6..7]);
        // Padded: one statement for up to 256 rows, the next size up.
        assert_eq!(sizes(0, true), vec![]);
        assert_eq!(sizes(31, true), vec![(31, 32)]);
        assert_eq!(sizes(32, true), vec![(32, 32)]);
        assert_eq!(sizes(300, true), vec![(256, 256), (44, 64)]);
        assert_eq!(sizes(512, true), vec![(256, 256), (256, 256)]);
        let insert = MultiRow::new("INSERT INTO t (a, b) VALUES ", 2, " RETURNING a");
        assert_eq!(
            insert.sql(2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4) RETURNING a"
        );
    }

    #[test]
    fn placeholders_become_numbered_dollars_outside_quotes() {
        assert_eq!(
            to_dollar_placeholders(
                "SELECT ?1, '?2', \"a?\" FROM t WHERE a = ? AND b = ?3 OR c = ?"
            ),
            "SELECT $1, '?2', \"a?\" FROM t WHERE a = $2 AND b = $3 OR c = $4"
        );
    }

    #[test]
    fn a_null_through_a_reference_has_the_referents_kind() {
        let kind = |v: &dyn ToSql| v.to_sql().unwrap().kind();
        assert_eq!(kind(&None::<&i64>), Kind::Integer);
        assert_eq!(kind(&None::<&f64>), Kind::Real);
        assert_eq!(kind(&None::<&Vec<u8>>), Kind::Blob);
        assert_eq!(kind(&None::<&[u8]>), Kind::Blob);
        assert_eq!(kind(&None::<&str>), Kind::Text);
        assert_eq!(kind(&None::<Box<bool>>), Kind::Integer);
    }

    #[test]
    fn a_failed_commit_leaves_no_transaction_open() {
        let conn = Conn::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (parent INTEGER REFERENCES parent (id));",
        )
        .unwrap();
        let tx = conn.write_tx().unwrap();
        tx.execute_batch("PRAGMA defer_foreign_keys = ON").unwrap();
        tx.execute("INSERT INTO child (parent) VALUES (?1)", [7])
            .unwrap();
        // The deferred foreign key fails the COMMIT, which SQLite leaves open.
        assert!(tx.commit().unwrap_err().is_constraint_violation());
        let tx = conn.write_tx().expect("a new transaction can begin");
        tx.commit().unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM child", (), |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn numeric_decodes_sums_and_fractions() {
        // 12345678 = [1234, 5678] with weight 1.
        let bytes = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(
            decode_numeric(&bytes).unwrap(),
            ValueRef::Integer(12_345_678)
        );
        // -1.5 = [1, 5000] with weight 0, negative.
        let bytes = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 1, 0x13, 0x88];
        assert_eq!(decode_numeric(&bytes).unwrap(), ValueRef::Real(-1.5));
        // 0 has no digits.
        assert_eq!(
            decode_numeric(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
            ValueRef::Integer(0)
        );
    }
}
