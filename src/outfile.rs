//! The one way a command writes a file it was asked to write (`--output`, `--dir`, `db backup`),
//! and the one CSV writer. [`OutputFile`] refuses an existing target unless forced, always refuses
//! the database and its `-wal`/`-shm` and any symbolic link at the target, and writes a temporary
//! file beside the target that is renamed over it only when complete. [`CsvOut`] defuses cells a
//! spreadsheet would run as formulas. It must not print: callers report what was written.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What a write may replace.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    /// Replace an existing regular file (`--force`).
    pub force: bool,
    /// The live database: it, its `-wal` and its `-shm` are never written, forced or not.
    pub database: &'a Path,
}

/// A file being written: a temporary sibling of `target` until [`OutputFile::commit`] renames it.
/// Dropped without a commit, the temporary file is removed and the target is untouched.
pub struct OutputFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl OutputFile {
    /// Checks `target` against `policy` and opens a fresh temporary file beside it.
    pub fn create(target: &Path, policy: Policy<'_>) -> Result<OutputFile> {
        check_target(target, policy)?;
        let dir = parent_of(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        // create_new: O_EXCL, which also never follows a symbolic link planted at the name.
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| {
                Error::io_with_hint(
                    format!(
                        "cannot write {}: cannot create a file in {}",
                        target.display(),
                        dir.display()
                    ),
                    e,
                    "choose a path in a directory you can write to",
                )
            })?;
        Ok(OutputFile {
            target: target.to_path_buf(),
            temp,
            file: Some(BufWriter::new(file)),
        })
    }

    /// The temporary file, for writers that need a path (SQLite's `VACUUM INTO` takes an empty file).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(mut self) -> Result<()> {
        let context = || format!("cannot write {}", self.target.display());
        if let Some(file) = self.file.take() {
            let file = file
                .into_inner()
                .map_err(|e| Error::io(context(), e.into_error()))?;
            file.sync_all().map_err(|e| Error::io(context(), e))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(context(), e))?;
        Ok(())
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other(
                "the output file was already committed",
            )),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.file.is_some() || self.temp.exists() {
            self.file = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` with its directory resolved (symbolic links, `..`), for comparing two spellings of a
/// file that may not exist yet.
fn resolved(path: &Path) -> Option<PathBuf> {
    let dir = parent_of(path).canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}

/// Whether `target` names the database or one of its companion files.
fn is_database_file(target: &Path, database: &Path) -> bool {
    let companions = ["", "-wal", "-shm", "-journal"].map(|suffix| {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    });
    let target_resolved = resolved(target);
    companions.iter().any(|c| {
        let same_name = target_resolved.is_some() && target_resolved == resolved(c);
        same_name || same_inode(target, c)
    })
}

#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

fn check_target(target: &Path, policy: Policy<'_>) -> Result<()> {
    if is_database_file(target, policy.database) {
        return Err(Error::Refused(format!(
            "{} is the database (or one of its -wal/-shm files); it is never written as an output\n\
             hint: choose another file name",
            target.display()
        )));
    }
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = parent_of(target);
            if !dir.is_dir() {
                return Err(Error::InvalidInput(format!(
                    "directory {} does not exist\nhint: create it first, or choose another path",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) => Err(Error::io(format!("cannot check {}", target.display()), e)),
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Refused(format!(
            "{} is a symbolic link; outputs never follow links\nhint: remove the link or name the real file",
            target.display()
        ))),
        Ok(meta) if !meta.is_file() => Err(Error::Refused(format!(
            "{} exists and is not a regular file\nhint: choose another path",
            target.display()
        ))),
        Ok(_) if policy.force => Ok(()),
        Ok(_) => Err(Error::Refused(format!(
            "{} already exists\nhint: pass --force to replace it, or choose another file name",
            target.display()
        ))),
    }
}

/// A cell a spreadsheet would run as a formula gets a leading `'`, so it shows as text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Every CSV file or stream we write: each cell goes through [`csv_safe`].
pub struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    /// `flexible` allows rows of different lengths (rows written back as they were read).
    pub fn new(out: W) -> CsvOut<W> {
        CsvOut {
            inner: csv::WriterBuilder::new().flexible(true).from_writer(out),
        }
    }

    pub fn row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| csv_safe(c.as_ref()).into_owned())
            .collect();
        self.inner
            .write_record(&cells)
            .map_err(|e| Error::io("cannot write CSV", std::io::Error::other(e.to_string())))
    }

    pub fn into_inner(self) -> Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| Error::io("cannot write CSV", std::io::Error::other(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_safe(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_safe("plain"), "plain");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn the_database_and_its_companions_are_refused_in_any_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        std::fs::write(&db, b"x").unwrap();
        let policy = Policy {
            force: true,
            database: &db,
        };
        for name in ["live.db", "live.db-wal", "live.db-shm"] {
            assert!(OutputFile::create(&dir.path().join(name), policy).is_err());
        }
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(OutputFile::create(&sub.join("../live.db"), policy).is_err());
        std::fs::hard_link(&db, dir.path().join("alias")).unwrap();
        assert!(OutputFile::create(&dir.path().join("alias"), policy).is_err());
    }

    #[test]
    fn nothing_reaches_the_target_before_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let target = dir.path().join("out.csv");
        let policy = Policy {
            force: false,
            database: &db,
        };
        let mut out = OutputFile::create(&target, policy).unwrap();
        out.write_all(b"half").unwrap();
        drop(out);
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut out = OutputFile::create(&target, policy).unwrap();
        out.write_all(b"whole").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert!(OutputFile::create(&target, policy).is_err());
    }
}
