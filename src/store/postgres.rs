//! Opening a PostgreSQL database: the `postgres://` URL `--db` names, its password (from the URL,
//! `SALESAGENT_DB_PASSWORD[_FILE]` or a `.pgpass`), TLS by rustls when the URL asks for
//! `sslmode=require`, and what a connection is set to before the store uses it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::sql::{Conn, PgTarget};
use crate::error::{Error, Result};

// What `--db` names, and how a URL is shown, are the configuration's knowledge (commands ask it too).
pub use crate::config::database::{postgres_url, redacted};

/// Connects to the database `url` names. `schema`, when given, is created if missing and made
/// the connection's search path (the test suite gives each test a schema of its own).
pub fn connect(url: &str, schema: Option<&str>) -> Result<Conn> {
    let shown = redacted(url);
    let mut config = postgres::Config::from_str(url).map_err(|e| {
        Error::Configuration(format!(
            "--db {shown}: {e}\nhint: give postgres://user@host:port/dbname (add ?sslmode=require for TLS; see `salesagent --help`, --db)"
        ))
    })?;
    if config.get_password().is_none()
        && let Some(password) = password_for(&config)?
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if let Some(schema) = schema {
        config.options(&format!("-c search_path={schema}"));
    }
    config.application_name("salesagent");
    let tls = match config.get_ssl_mode() {
        postgres::config::SslMode::Require => Some(rustls_connector()?),
        _ => None,
    };
    let target = PgTarget { config, tls };
    let conn = Conn::postgres(target).map_err(|e| {
        Error::Configuration(format!(
            "cannot connect to {shown}: {}\nhint: check the URL, that the server runs, and the \
             password (SALESAGENT_DB_PASSWORD, SALESAGENT_DB_PASSWORD_FILE or ~/.pgpass)",
            super::sql::Error::Postgres(e)
        ))
    })?;
    if let Some(schema) = schema {
        conn.execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    }
    Ok(conn)
}

/// The password when the URL has none: `SALESAGENT_DB_PASSWORD_FILE` (its first line), then
/// `SALESAGENT_DB_PASSWORD`, then the `.pgpass` entry for this host, port, database and user. A
/// named file that is missing or empty is an error, never "no password".
fn password_for(config: &postgres::Config) -> Result<Option<String>> {
    if let Some(file) = std::env::var_os("SALESAGENT_DB_PASSWORD_FILE") {
        let path = PathBuf::from(file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::Configuration(format!(
                "SALESAGENT_DB_PASSWORD_FILE {}: {e}\nhint: point it at a readable file holding the password",
                path.display()
            ))
        })?;
        let password = text.lines().next().unwrap_or("").to_string();
        if password.is_empty() {
            return Err(Error::Configuration(format!(
                "SALESAGENT_DB_PASSWORD_FILE {} is empty\nhint: write the password on its first line",
                path.display()
            )));
        }
        return Ok(Some(password));
    }
    if let Ok(password) = std::env::var("SALESAGENT_DB_PASSWORD") {
        if password.is_empty() {
            return Err(Error::Configuration(
                "SALESAGENT_DB_PASSWORD is set but empty\nhint: unset it, or give the password"
                    .into(),
            ));
        }
        return Ok(Some(password));
    }
    let file = match std::env::var_os("PGPASSFILE") {
        Some(f) => PathBuf::from(f),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".pgpass"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(None);
    };
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config
        .get_dbname()
        .unwrap_or(config.get_user().unwrap_or(""));
    let user = config.get_user().unwrap_or("");
    Ok(pgpass_lookup(&text, [&host, &port, db, user]))
}

/// The password of the first `.pgpass` line matching host, port, database and user (each field
/// may be `*`; `\:` and `\\` are escapes), as libpq reads it.
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(want)
                .all(|(have, want)| have == "*" || have == want)
        {
            return fields.pop();
        }
    }
    None
}

/// TLS by rustls with the platform's roots, for `sslmode=require`.
fn rustls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(Error::Configuration(
            "sslmode=require, but no trusted CA certificates were found on this machine\n\
             hint: install ca-certificates"
                .into(),
        ));
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_fields_wildcards_and_escapes() {
        let text =
            "# comment\nother:5432:sa:sa:nope\ndb.example:*:sa:sa:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, ["db.example", "5432", "sa", "sa"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, ["elsewhere", "5432", "sa", "sa"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("h:1:d:u:p\n", ["h", "2", "d", "u"]), None);
    }
}
