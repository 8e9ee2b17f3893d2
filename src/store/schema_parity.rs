//! The two schemas kept equal: a fresh SQLite database (migrations/sqlite) and a fresh PostgreSQL
//! schema (migrations/postgres) must have the same tables, columns (name, NOT NULL, type class),
//! primary keys, unique indexes and constraints (columns, and the columns and constants of a
//! partial index's condition), foreign keys and number of CHECK constraints per table.
//!
//! PostgreSQL's `rowid` identity columns (stand-ins for SQLite's implicit rowid) and their unique
//! constraints are not compared, nor the column types of refinery's own history table.

use std::collections::{BTreeMap, BTreeSet};

use super::sql::{Conn, params};
use super::{Store, new_id};
use crate::domain::tenant::TenantId;

/// A unique index: its columns in order, and the words and constants of its condition.
type Unique = (Vec<String>, BTreeSet<String>);

/// A foreign key: (columns, referenced table, referenced columns, ON DELETE action).
type ForeignKey = (Vec<String>, String, Vec<String>, String);

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// name → (NOT NULL, type class)
    columns: BTreeMap<String, (bool, &'static str)>,
    primary_key: Vec<String>,
    uniques: BTreeSet<Unique>,
    foreign_keys: BTreeSet<ForeignKey>,
    checks: usize,
}

type Schema = BTreeMap<String, Table>;

/// refinery's history table: created by refinery itself, with each backend's own types.
const HISTORY: &str = "refinery_schema_history";

/// The type class of a column declared `declared` in SQLite (its affinity rules, in their order).
fn sqlite_class(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "blob"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else {
        "numeric"
    }
}

/// The type class of a PostgreSQL column of type `data_type` (information_schema's spelling).
fn postgres_class(data_type: &str) -> &'static str {
    match data_type {
        "bigint" | "integer" | "smallint" => "integer",
        "double precision" | "real" => "real",
        "text" | "character varying" | "character" => "text",
        "bytea" => "blob",
        _ => "numeric",
    }
}

/// A partial index's condition as the set of its identifiers and string constants, lower-cased,
/// without operators, casts and the words the two dialects spell differently (`NOT IN (…)` is
/// PostgreSQL's `<> ALL (ARRAY[…])`).
fn condition_words(condition: &str) -> BTreeSet<String> {
    const NOISE: &[&str] = &[
        "and", "or", "not", "is", "in", "all", "any", "array", "text", "null",
    ];
    let lower = condition.to_lowercase();
    let mut words = BTreeSet::new();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut literal = String::from("'");
            for d in chars.by_ref() {
                literal.push(d);
                if d == '\'' {
                    break;
                }
            }
            words.insert(literal);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut word = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    word.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if !NOISE.contains(&word.as_str()) {
                words.insert(word);
            }
        }
    }
    words
}

/// How many `CHECK (` a CREATE TABLE statement has (not a column named `checks`).
fn count_checks(create: &str) -> usize {
    let lower = create.to_lowercase();
    let bytes = lower.as_bytes();
    lower
        .match_indices("check")
        .filter(|&(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let standalone = !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            standalone && lower[at + 5..].trim_start().starts_with('(')
        })
        .count()
}

fn sqlite_schema(conn: &rusqlite::Connection) -> Schema {
    // Rows of a catalog query with at most one argument.
    let strings = |sql: &str, arg: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = conn.prepare(sql).unwrap();
        let width = stmt.column_count();
        let args: &[&str] = if stmt.parameter_count() == 0 {
            &[]
        } else {
            &[arg]
        };
        stmt.query_map(rusqlite::params_from_iter(args), |r| {
            (0..width).map(|i| r.get(i)).collect()
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    let text = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(t) => t.clone(),
        rusqlite::types::Value::Integer(i) => i.to_string(),
        _ => String::new(),
    };
    let int = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Integer(i) => *i,
        _ => 0,
    };
    let mut schema = Schema::new();
    let tables = strings(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        "",
    );
    for row in &tables {
        let (name, create) = (text(&row[0]), text(&row[1]));
        let mut table = Table {
            checks: count_checks(&create),
            ..Table::default()
        };
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in strings(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)",
            &name,
        ) {
            let column = text(&c[0]);
            let pk_position = int(&c[3]);
            let class = if name == HISTORY {
                "any"
            } else {
                sqlite_class(&text(&c[1]))
            };
            table
                .columns
                .insert(column.clone(), (int(&c[2]) != 0 || pk_position > 0, class));
            if pk_position > 0 {
                pk.push((pk_position, column));
            }
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        for index in strings(
            "SELECT name, origin, partial FROM pragma_index_list(?1) WHERE \"unique\" = 1",
            &name,
        ) {
            let (index_name, origin) = (text(&index[0]), text(&index[1]));
            if origin == "pk" {
                continue;
            }
            let columns = strings(
                "SELECT name FROM pragma_index_info(?1) ORDER BY seqno",
                &index_name,
            )
            .iter()
            .map(|c| text(&c[0]))
            .collect();
            let condition = if int(&index[2]) != 0 {
                let sql = strings(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    &index_name,
                );
                let sql = text(&sql[0][0]);
                let at = sql
                    .to_lowercase()
                    .rfind(" where ")
                    .expect("a partial index");
                condition_words(&sql[at + 7..])
            } else {
                BTreeSet::new()
            };
            table.uniques.insert((columns, condition));
        }
        let mut keys: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for fk in strings(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1)
             ORDER BY id, seq",
            &name,
        ) {
            let key = keys
                .entry(int(&fk[0]))
                .or_insert_with(|| (vec![], text(&fk[1]), vec![], text(&fk[4]).to_uppercase()));
            key.0.push(text(&fk[2]));
            key.2.push(text(&fk[3]));
        }
        table.foreign_keys = keys.into_values().collect();
        schema.insert(name, table);
    }
    // A foreign key naming no columns references the primary key.
    let primary_keys: BTreeMap<String, Vec<String>> = schema
        .iter()
        .map(|(name, t)| (name.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|(from, to_table, to, action)| {
                let to = if to.iter().all(String::is_empty) {
                    primary_keys.get(&to_table).cloned().unwrap_or_default()
                } else {
                    to
                };
                (from, to_table, to, action)
            })
            .collect();
    }
    schema
}

/// Rows of a catalog query on PostgreSQL, every column read as text.
fn pg_rows(conn: &Conn, sql: &str) -> Vec<Vec<String>> {
    let width = sql.matches("::text").count();
    conn.prepare(sql)
        .unwrap()
        .query_map(params![], |r| {
            (0..width).map(|i| r.get::<_, String>(i)).collect()
        })
        .unwrap()
        .collect::<super::sql::Result<_>>()
        .unwrap()
}

fn postgres_schema(conn: &Conn) -> Schema {
    let mut schema = Schema::new();
    for row in pg_rows(
        conn,
        "SELECT table_name::text, column_name::text, is_nullable::text, data_type::text
         FROM information_schema.columns WHERE table_schema = current_schema()
         ORDER BY table_name, ordinal_position",
    ) {
        if row[1] == "rowid" {
            continue;
        }
        let class = if row[0] == HISTORY {
            "any"
        } else {
            postgres_class(&row[3])
        };
        schema
            .entry(row[0].clone())
            .or_default()
            .columns
            .insert(row[1].clone(), (row[2] == "NO", class));
    }
    for row in pg_rows(
        conn,
        "SELECT c.relname::text, a.attname::text
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE n.nspname = current_schema() AND con.contype = 'p'
         ORDER BY c.relname, k.ord",
    ) {
        schema
            .entry(row[0].clone())
            .or_default()
            .primary_key
            .push(row[1].clone());
    }
    let mut uniques: BTreeMap<(String, String), Unique> = BTreeMap::new();
    for row in pg_rows(
        conn,
        "SELECT c.relname::text, i.relname::text, a.attname::text,
                COALESCE(pg_get_expr(x.indpred, x.indrelid), '')::text
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL unnest(CAST(x.indkey AS int2[])) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary
         ORDER BY c.relname, i.relname, k.ord",
    ) {
        let unique = uniques
            .entry((row[0].clone(), row[1].clone()))
            .or_insert_with(|| (vec![], condition_words(&row[3])));
        unique.0.push(row[2].clone());
    }
    for ((table, _), unique) in uniques {
        if unique.0 != ["rowid"] {
            schema.entry(table).or_default().uniques.insert(unique);
        }
    }
    let mut keys: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in pg_rows(
        conn,
        "SELECT c.relname::text, con.conname::text, a.attname::text, fc.relname::text,
                fa.attname::text, con.confdeltype::text
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class fc ON fc.oid = con.confrelid
         CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         JOIN pg_attribute fa ON fa.attrelid = fc.oid AND fa.attnum = k.fattnum
         WHERE n.nspname = current_schema() AND con.contype = 'f'
         ORDER BY c.relname, con.conname, k.ord",
    ) {
        let action = match row[5].as_str() {
            "c" => "CASCADE",
            "r" => "RESTRICT",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            _ => "NO ACTION",
        };
        let key = keys
            .entry((row[0].clone(), row[1].clone()))
            .or_insert_with(|| (vec![], row[3].clone(), vec![], action.to_string()));
        key.0.push(row[2].clone());
        key.2.push(row[4].clone());
    }
    for ((table, _), key) in keys {
        schema.entry(table).or_default().foreign_keys.insert(key);
    }
    for row in pg_rows(
        conn,
        "SELECT c.relname::text, COUNT(*)::text FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND con.contype = 'c' GROUP BY c.relname",
    ) {
        schema.entry(row[0].clone()).or_default().checks = row[1].parse().unwrap();
    }
    schema
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (Some(s), Some(p)) = (sqlite.get(name), postgres.get(name)) else {
            let only = if sqlite.contains_key(name) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: only in {only}"));
            continue;
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            let (a, b) = (s.columns.get(column), p.columns.get(column));
            if a != b {
                out.push(format!(
                    "{name}.{column}: SQLite (not null, class) {a:?}, PostgreSQL {b:?}"
                ));
            }
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "{name}: primary key SQLite {:?}, PostgreSQL {:?}",
                s.primary_key, p.primary_key
            ));
        }
        for u in s.uniques.symmetric_difference(&p.uniques) {
            let only = if s.uniques.contains(u) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("{name}: unique {u:?} only in {only}"));
        }
        for k in s.foreign_keys.symmetric_difference(&p.foreign_keys) {
            let only = if s.foreign_keys.contains(k) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("{name}: foreign key {k:?} only in {only}"));
        }
        if s.checks != p.checks {
            out.push(format!(
                "{name}: {} CHECK constraints on SQLite, {} on PostgreSQL",
                s.checks, p.checks
            ));
        }
    }
    out
}

#[test]
fn sqlite_and_postgres_schemas_have_the_same_tables_columns_and_constraints() {
    let Some(url) = std::env::var("SALESAGENT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        // The test's own skip report, not library output (tidy's no-print rule is for the
        // library's code, which this test-only module is not).
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout(),
            "skipped: no PostgreSQL to compare the schemas with (set SALESAGENT_TEST_PG=postgres://…, \
             e.g. after scripts/pg.sh start)"
        );
        return;
    };
    let schema_name = format!("t{}", new_id().replace('-', ""));
    let dir = tempfile::tempdir().unwrap();
    let sqlite_store = Store::open(&dir.path().join("t.db"), &TenantId::default_tenant()).unwrap();
    let sqlite = sqlite_schema(sqlite_store.conn.as_sqlite().unwrap());
    let pg_store =
        Store::open_postgres(&url, &TenantId::default_tenant(), Some(&schema_name)).unwrap();
    let postgres = postgres_schema(&pg_store.conn);
    pg_store
        .conn
        .execute_batch(&format!("DROP SCHEMA {schema_name} CASCADE"))
        .unwrap();
    assert!(sqlite.len() > 20, "{:?}", sqlite.keys());
    let found = differences(&sqlite, &postgres);
    assert!(
        found.is_empty(),
        "the schemas differ:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_condition_is_compared_by_its_columns_and_constants() {
    assert_eq!(
        condition_words("unique_key IS NOT NULL AND state NOT IN ('completed', 'dead')"),
        condition_words(
            "((unique_key IS NOT NULL) AND (state <> ALL (ARRAY['completed'::text, 'dead'::text])))"
        )
    );
    assert_ne!(
        condition_words("state <> 'cancelled'"),
        condition_words("state <> 'completed'")
    );
    assert_eq!(
        count_checks("CREATE TABLE r (checks TEXT CHECK (x), y CHECK(y > 0))"),
        2
    );
}
