//! Opening a PostgreSQL database: the `postgres://` URL `--db` names, its password (from the URL,
//! `SALESAGENT_DB_PASSWORD[_FILE]` or a `.pgpass`), TLS by rustls when the URL asks for
//! `sslmode=require` (the server's certificate checked against the system's CAs, or those of the
//! URL's `sslrootcert`), and what a connection is set to before the store uses it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
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
    let (url, root_cert) = take_sslrootcert(url);
    let mut config = postgres::Config::from_str(&url).map_err(|e| {
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
    let tls = match (config.get_ssl_mode(), &root_cert) {
        (postgres::config::SslMode::Require, _) => Some(rustls_connector(root_cert.as_deref())?),
        // Asked to check the server's certificate, never connect without TLS instead.
        (_, Some(_)) => {
            return Err(Error::Configuration(format!(
                "--db {shown}: sslrootcert is given but sslmode is not require, so the connection \
                 would not use TLS\nhint: add sslmode=require to the URL"
            )));
        }
        _ => None,
    };
    let tls_hint = if tls.is_some() {
        "; for a server certificate signed by a private CA, add &sslrootcert=/path/to/ca.pem"
    } else {
        ""
    };
    let target = PgTarget { config, tls };
    let conn = Conn::postgres(target).map_err(|e| {
        Error::Configuration(format!(
            "cannot connect to {shown}: {}\nhint: check the URL, that the server runs, and the \
             password (SALESAGENT_DB_PASSWORD, SALESAGENT_DB_PASSWORD_FILE or ~/.pgpass){tls_hint}",
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

/// libpq's `sslrootcert` (the CA certificates that sign the server's), which the `postgres`
/// crate does not parse: taken out of the URL's query before it does.
fn take_sslrootcert(url: &str) -> (Cow<'_, str>, Option<PathBuf>) {
    let Some((base, query)) = url.split_once('?') else {
        return (Cow::Borrowed(url), None);
    };
    let mut root_cert = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("sslrootcert=") {
            Some(value) => {
                let path = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
                root_cert = Some(PathBuf::from(path.as_ref()));
                false
            }
            None => true,
        })
        .collect();
    if root_cert.is_none() {
        return (Cow::Borrowed(url), None);
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (Cow::Owned(url), root_cert)
}

/// TLS by rustls, for `sslmode=require`: the server's certificate must chain to the CAs of
/// `root_cert` (a PEM file) when given, else to the system's.
fn rustls_connector(root_cert: Option<&Path>) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = match root_cert {
        Some(path) => roots_from(path)?,
        None => system_roots()?,
    };
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn system_roots() -> Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(Error::Configuration(
            "sslmode=require, but no trusted CA certificates were found on this machine\n\
             hint: install ca-certificates, or name the server's CA with &sslrootcert=/path/to/ca.pem"
                .into(),
        ));
    }
    Ok(roots)
}

/// The CA certificates of a PEM file; one that cannot be read or holds none is an error, never
/// "trust the system's instead".
fn roots_from(path: &Path) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let refused = |why: String| {
        Error::Configuration(format!(
            "sslrootcert {}: {why}\nhint: give a readable PEM file of the CA certificates that \
             signed the server's certificate",
            path.display()
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| refused(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| refused(e.to_string()))?;
        roots.add(cert).map_err(|e| refused(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(refused("no certificate in it".into()));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_taken_out_of_the_url() {
        let (url, cert) =
            take_sslrootcert("postgres://u@h/db?sslmode=require&sslrootcert=/etc/ssl/a%20ca.pem");
        assert_eq!(url, "postgres://u@h/db?sslmode=require");
        assert_eq!(cert.as_deref(), Some(Path::new("/etc/ssl/a ca.pem")));
        let (url, cert) = take_sslrootcert("postgres://u@h/db?sslrootcert=ca.pem");
        assert_eq!((url.as_ref(), cert.is_some()), ("postgres://u@h/db", true));
        let (url, cert) = take_sslrootcert("postgres://u@h/db?sslmode=require");
        assert_eq!(
            (url.as_ref(), cert),
            ("postgres://u@h/db?sslmode=require", None)
        );
    }

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
