//! Shared directory syncs: a rename is durable only once its directory is synced, and one
//! `fsync` of a directory makes every rename done in it before the sync began durable. Threads of
//! one process that rename into the same directory at the same time (the worker threads writing
//! drafts) share syncs, group-commit style: whoever finds no sync running starts one for everyone
//! waiting; the others wait for a sync that began after their own rename.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// Syncs `path`'s parent directory, or waits for a sync of it that began after this call.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    group(dir).sync(|| std::fs::File::open(dir)?.sync_all())
}

/// The sync group of a directory, one per process.
fn group(dir: &Path) -> Arc<Group> {
    static GROUPS: OnceLock<Mutex<HashMap<PathBuf, Arc<Group>>>> = OnceLock::new();
    let groups = GROUPS.get_or_init(Default::default);
    let mut groups = groups.lock().unwrap_or_else(|e| e.into_inner());
    groups.entry(dir.to_path_buf()).or_default().clone()
}

#[derive(Default)]
struct Group {
    state: Mutex<State>,
    finished: Condvar,
}

#[derive(Default)]
struct State {
    /// Syncs begun so far (the number of the latest).
    started: u64,
    /// The latest sync that finished, and whether it succeeded.
    finished: u64,
    ok: bool,
    running: bool,
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once a sync that began after this call has finished; runs it when none is running.
    /// A failed shared sync is repeated by each waiter on its own, so every caller sees the
    /// outcome of a sync that covers its rename.
    fn sync(&self, fsync: impl Fn() -> std::io::Result<()>) -> std::io::Result<()> {
        let mut state = self.lock();
        // A sync running now may have begun before our rename: only a later one covers it.
        let needed = state.started + 1;
        loop {
            if state.finished >= needed {
                return if state.ok { Ok(()) } else { fsync() };
            }
            if !state.running {
                state.running = true;
                state.started += 1;
                let mine = state.started;
                drop(state);
                let result = fsync();
                state = self.lock();
                state.running = false;
                state.finished = mine;
                state.ok = result.is_ok();
                self.finished.notify_all();
                return result;
            }
            state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_caller_alone_syncs_itself_every_time() {
        let group = Group::default();
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            group
                .sync(|| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn waiters_share_a_sync_that_began_after_them() {
        let group = Arc::new(Group::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        // The first sync is held open, so the other threads queue behind it.
        let first = {
            let (group, calls) = (group.clone(), calls.clone());
            std::thread::spawn(move || {
                group.sync(|| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    entered_tx.send(()).unwrap();
                    release_rx.lock().unwrap().recv().unwrap();
                    Ok(())
                })
            })
        };
        entered_rx.recv().unwrap();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (group, calls) = (group.clone(), calls.clone());
                std::thread::spawn(move || {
                    group.sync(|| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    })
                })
            })
            .collect();
        // Bounded wait until all four are queued (they cannot finish before the release).
        for _ in 0..3000 {
            if group.lock().started == 1 && Arc::strong_count(&group) == 6 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        release_tx.send(()).unwrap();
        first.join().unwrap().unwrap();
        for w in waiters {
            w.join().unwrap().unwrap();
        }
        // The first sync began before the waiters' calls, so it cannot count for them; after it,
        // at least one more sync ran, and never more than one per waiter.
        let n = calls.load(Ordering::SeqCst);
        assert!((2..=5).contains(&n), "{n} syncs");
    }

    #[test]
    fn a_failed_shared_sync_is_repeated_by_each_caller() {
        let group = Group::default();
        assert!(
            group
                .sync(|| Err(std::io::Error::other("disk gone")))
                .is_err()
        );
        assert!(group.sync(|| Ok(())).is_ok());
    }
}
