//! Reconciliation queries and repairs (filled in below).
