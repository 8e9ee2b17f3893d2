//! A connector's write that is done but may not be durable yet (a draft file being synced): the
//! caller holds a [`Durable`] and waits on it right before it commits anything that records the
//! write, so the wait overlaps with whatever it does meanwhile.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::error::{ConnectorError, ErrorClass, Result};

/// Becomes ready once the write it stands for is durable, or failed to be.
pub struct Durable(Option<Arc<Slot>>);

/// The other end: whoever makes the write durable completes it, exactly once.
pub struct Completion {
    slot: Arc<Slot>,
    service: &'static str,
    done: bool,
}

#[derive(Default)]
struct Slot {
    outcome: Mutex<Option<std::result::Result<(), ConnectorError>>>,
    ready: Condvar,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<std::result::Result<(), ConnectorError>>> {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Durable {
    /// A write that was durable when it returned.
    pub fn done() -> Durable {
        Durable(None)
    }

    /// A write made durable later, by whoever holds the [`Completion`].
    pub fn pending(service: &'static str) -> (Durable, Completion) {
        let slot = Arc::new(Slot::default());
        let completion = Completion {
            slot: slot.clone(),
            service,
            done: false,
        };
        (Durable(Some(slot)), completion)
    }

    /// Whether [`Durable::wait`] would return at once.
    pub fn is_ready(&self) -> bool {
        self.0.as_ref().is_none_or(|s| s.lock().is_some())
    }

    /// Returns once the write is durable, or with the error that kept it from being so.
    pub fn wait(self) -> Result<()> {
        let Some(slot) = self.0 else {
            return Ok(());
        };
        let mut outcome = slot.lock();
        loop {
            if let Some(result) = outcome.take() {
                return result.map_err(Into::into);
            }
            outcome = slot.ready.wait(outcome).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Completion {
    pub fn complete(mut self, result: std::result::Result<(), ConnectorError>) {
        self.finish(result);
    }

    fn finish(&mut self, result: std::result::Result<(), ConnectorError>) {
        self.done = true;
        *self.slot.lock() = Some(result);
        self.slot.ready.notify_all();
    }
}

impl Drop for Completion {
    /// Dropped without an outcome (the syncing thread died): the write is not known durable.
    fn drop(&mut self) {
        if !self.done {
            let error = ConnectorError::new(
                self.service,
                ErrorClass::Transient,
                "the write was dropped before it was known durable",
            );
            self.finish(Err(error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_gets_the_outcome_given_on_another_thread() {
        let (durable, completion) = Durable::pending("test");
        assert!(!durable.is_ready());
        let t = std::thread::spawn(move || completion.complete(Ok(())));
        durable.wait().unwrap();
        t.join().unwrap();
        assert!(Durable::done().is_ready());
    }

    #[test]
    fn a_dropped_completion_is_a_failure_not_a_hang() {
        let (durable, completion) = Durable::pending("test");
        drop(completion);
        assert!(durable.is_ready());
        assert!(durable.wait().is_err());
    }
}
