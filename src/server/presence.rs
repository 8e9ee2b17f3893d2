//! An intake-only `serve` (`--workers 0`) announces itself in the worker registry with zero
//! threads, so commands that must not run beside a live process (`db restore`) see it; it owns
//! nothing else and claims nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::domain::time::now_ms;
use crate::error::Result;
use crate::store::Store;

pub struct Presence {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Presence {
    /// Beats every `interval` on `store` until dropped; the row is removed on a clean stop.
    pub fn start(store: Store, interval: Duration) -> Result<Presence> {
        let owner = format!(
            "{}:{}:intake",
            std::process::id(),
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let started_at = now_ms();
        let beat = move |store: &Store, owner: &str| {
            if let Err(e) =
                store.heartbeat(owner, std::process::id(), "", 0, started_at, &[], now_ms())
            {
                tracing::warn!(error = %e, "intake heartbeat failed");
            }
        };
        beat(&store, &owner);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handle = std::thread::Builder::new()
            .name("intake-presence".into())
            .spawn(move || {
                let step = Duration::from_millis(50);
                let mut waited = Duration::ZERO;
                while !stopping.load(Ordering::SeqCst) {
                    std::thread::sleep(step);
                    waited += step;
                    if waited >= interval {
                        waited = Duration::ZERO;
                        beat(&store, &owner);
                    }
                }
                let _ = store.remove_worker(&owner);
            })
            .map_err(|e| crate::error::Error::io("cannot start the intake heartbeat", e))?;
        Ok(Presence {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
