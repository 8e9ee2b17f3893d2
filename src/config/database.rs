//! What `--db` names: a SQLite file (the default) or a PostgreSQL database (`postgres://…`), and
//! how it is shown (a URL's password never is). The store opens it; this module only reads the
//! setting, so commands and the config itself ask the same question the same way.

use std::path::Path;

use super::Config;

/// The URL when `--db` names a PostgreSQL database rather than a SQLite file.
pub fn postgres_url(db: &Path) -> Option<&str> {
    let text = db.to_str()?;
    (text.starts_with("postgres://") || text.starts_with("postgresql://")).then_some(text)
}

/// The URL without its password, for messages, logs and `config check`.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `--db` as it may be shown: a file's path, or the URL without its password.
pub fn shown(db: &Path) -> String {
    match postgres_url(db) {
        Some(url) => redacted(url),
        None => db.display().to_string(),
    }
}

/// Serializes `db` as [`shown`] (`config check --json` and the TOML it prints).
pub(super) fn serialize_shown<S: serde::Serializer>(
    db: &Path,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&shown(db))
}

impl Config {
    /// The PostgreSQL URL `db` names; `None` for a SQLite file.
    pub fn db_url(&self) -> Option<&str> {
        postgres_url(&self.db)
    }

    /// `db` for messages: the path, or the URL without its password.
    pub fn db_shown(&self) -> String {
        shown(&self.db)
    }

    /// Whether the database is there to be read. A SQLite file must exist; a PostgreSQL
    /// database is the server's, so it counts as there (connecting says otherwise, exit 3).
    pub fn has_database(&self) -> bool {
        self.db_url().is_some() || self.db.exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_postgres_urls_only() {
        assert!(postgres_url(Path::new("postgres://u@h/db")).is_some());
        assert!(postgres_url(Path::new("postgresql://u@h/db")).is_some());
        assert!(postgres_url(Path::new("salesagent.db")).is_none());
        assert!(postgres_url(Path::new("./postgres://x")).is_none());
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("postgres://sa:s3cret@db.example:5432/sa?sslmode=require"),
            "postgres://sa:***@db.example:5432/sa?sslmode=require"
        );
        assert_eq!(redacted("postgres://sa@db/sa"), "postgres://sa@db/sa");
        assert_eq!(
            shown(Path::new("postgres://sa:pw@h/d")),
            "postgres://sa:***@h/d"
        );
        assert_eq!(shown(Path::new("/var/lib/sa.db")), "/var/lib/sa.db");
    }

    #[test]
    fn a_postgres_database_has_no_directory_of_its_own() {
        let config = Config {
            db: "postgres://sa:pw@db.example/sa".into(),
            ..Config::default()
        };
        assert_eq!(config.data_dir(), Path::new("."));
        assert!(config.has_database());
    }
}
