//! Reconciliation (filled in below).
