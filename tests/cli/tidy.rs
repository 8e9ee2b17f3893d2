//! Tidy checks over the source tree: conventions a reviewer should not have to catch by hand.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap_or_default()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! doc: {missing:?}"
    );
}

#[test]
fn only_the_store_contains_sql() {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src, &mut files);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("store")))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            text.contains("rusqlite::")
                || text.contains("\"SELECT ")
                || text.contains("\"INSERT INTO")
        })
        .collect();
    assert!(offenders.is_empty(), "SQL outside src/store: {offenders:?}");
}

#[test]
fn only_connectors_do_http() {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src, &mut files);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("connectors")))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .contains("reqwest")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "reqwest outside src/connectors: {offenders:?}"
    );
}

#[test]
fn nothing_below_the_cli_prints() {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src, &mut files);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("cli")) && !f.ends_with("output.rs"))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            ["println!", "eprintln!", "print!(", "eprint!("]
                .iter()
                .any(|m| text.contains(m))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "printing outside src/cli and the Printer: {offenders:?}"
    );
}

#[test]
fn every_audited_action_is_one_audit_list_accepts() {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src, &mut files);
    let audit = std::fs::read_to_string(src.join("store/audit.rs")).unwrap();
    let known = audit
        .split("pub const AUDIT_ACTIONS")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .expect("AUDIT_ACTIONS in store/audit.rs")
        .to_string();
    let mut unknown = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        // `AuditEntry::new(actor, "action", at)` and `Decision::action()`'s `=> "action"` arms.
        for piece in text.split("AuditEntry::new(").skip(1) {
            let call: String = piece.chars().take_while(|c| *c != ')').collect();
            if let Some(action) = call.split('"').nth(1)
                && !known.contains(&format!("\"{action}\""))
            {
                unknown.push(format!("{}: {action}", f.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "audit actions missing from AUDIT_ACTIONS: {unknown:?}"
    );
}

/// The states that cross layers have one spelling, in `src/store/states.rs`; everywhere else they
/// are compared as enums. A literal comparison outside the store would drift from that mapping
/// unnoticed (a renamed state still compiles), so it is refused here.
#[test]
fn state_literals_are_compared_only_inside_the_store() {
    use salesagent::store::{DraftStatus, JobState, StepStatus, WorkflowStatus};
    let names: Vec<&str> = WorkflowStatus::NAMES
        .iter()
        .chain(&JobState::NAMES)
        .chain(&StepStatus::NAMES)
        .chain(&DraftStatus::NAMES)
        .copied()
        .collect();
    let mut patterns: Vec<String> = Vec::new();
    for name in &names {
        patterns.push(format!("== \"{name}\""));
        patterns.push(format!("!= \"{name}\""));
        patterns.push(format!("\"{name}\" =>"));
    }
    let any_status_literal = |line: &str| {
        ["status == \"", "status != \""].iter().any(|p| {
            line.match_indices(p).any(|(at, _)| {
                line[at + p.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase())
            })
        })
    };
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(src.join("store"))) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if patterns.iter().any(|p| code.contains(p.as_str())) || any_status_literal(code) {
                offenders.push(format!("{}:{}: {code}", file.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "state literals compared outside src/store (use the enums of store::states):\n{}",
        offenders.join("\n")
    );
}

/// The tables that hold a tenant's data (a `tenant_id` column) and the child tables reached only
/// through one of them (a foreign key to it and no `tenant_id` of their own), read from the
/// migrations themselves, so a new table is covered the day it is created.
fn tenant_tables() -> (Vec<String>, Vec<String>) {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut migrations: Vec<(u32, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let version = name.strip_prefix('V')?.split("__").next()?.parse().ok()?;
            Some((version, p))
        })
        .collect();
    migrations.sort();
    for (_, path) in &migrations {
        conn.execute_batch(&std::fs::read_to_string(path).unwrap())
            .unwrap();
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let columns = |table: &str, pragma: &str, col: usize| -> Vec<String> {
        conn.prepare(&format!("SELECT * FROM pragma_{pragma}('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(col))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let tenant: Vec<String> = tables
        .iter()
        .filter(|t| columns(t, "table_info", 1).iter().any(|c| c == "tenant_id"))
        .cloned()
        .collect();
    let child: Vec<String> = tables
        .iter()
        .filter(|t| !tenant.contains(t))
        .filter(|t| {
            columns(t, "foreign_key_list", 2)
                .iter()
                .any(|parent| tenant.contains(parent))
        })
        .cloned()
        .collect();
    (tenant, child)
}

/// The string literals of a Rust source (plain and `r#"…"#`), whitespace collapsed, with their
/// line; a `#[cfg(test)]` module at the end of the file is left out.
fn string_literals(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let line_of = |at: usize| bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        if code[i..].starts_with("//") {
            i += code[i..].find('\n').unwrap_or(code.len() - i);
        } else if code[i..].starts_with("r#\"") {
            let end = code[i + 3..].find("\"#").map_or(code.len(), |e| i + 3 + e);
            out.push((line_of(i), code[i + 3..end].to_string()));
            i = end + 2;
        } else if bytes[i] == b'\'' && i + 2 < bytes.len() && bytes[i + 2] == b'\'' {
            i += 3; // a char literal such as '"'
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push((line_of(i), code[i + 1..j.min(code.len())].to_string()));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out.into_iter()
        .map(|(line, s)| (line, s.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect()
}

/// Queries over tenant tables that rightly have no tenant predicate: the queue and process
/// machinery works across tenants by design. Each entry is (file, a piece of the query, why).
const TENANT_PREDICATE_EXEMPT: &[(&str, &str, &str)] = &[
    (
        "jobs.rs",
        "SELECT lease_expires_at FROM jobs WHERE id = ?1 AND lease_owner = ?2",
        "the lease check: fenced by lease owner and attempt, which only the claimant knows",
    ),
    (
        "jobs.rs",
        "UPDATE jobs SET lease_expires_at = ?2 WHERE id = ?1 AND lease_owner = ?3",
        "the lease's renewal after its check: fenced by lease owner and attempt, as the check",
    ),
    (
        "jobs.rs",
        "INSERT INTO job_attempts (job_id, attempt, worker, started_at)",
        "the claim: workers claim across tenants (fairness), the attempt row is the claim's",
    ),
    (
        "jobs.rs",
        "SELECT id, attempt, max_attempts, lease_owner FROM jobs WHERE state = 'running' AND lease_expires_at <",
        "the rescuer: expired leases of every tenant go back to the queue",
    ),
    (
        "jobs.rs",
        "UPDATE jobs SET state = 'available', lease_owner = NULL, lease_expires_at = NULL, attempt = attempt - ?4",
        "release at shutdown: fenced by lease owner and attempt",
    ),
    (
        "jobs.rs",
        "DELETE FROM job_attempts WHERE job_id = ?1 AND attempt = ?2",
        "release at shutdown: the attempt row of a lease this process held",
    ),
    (
        "jobs.rs",
        "UPDATE jobs SET lease_expires_at = ?4 WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3",
        "heartbeat lease renewal: fenced by lease owner and attempt",
    ),
    (
        "jobs.rs",
        "UPDATE jobs SET state = ?4, run_at = COALESCE(?5, run_at)",
        "a job's end: fenced by lease owner and attempt; its tenant is read from the row",
    ),
    (
        "jobs.rs",
        "UPDATE job_attempts SET error = ?3, error_class = ?4, finished_at = ?5",
        "a job's end: the attempt row of the lease checked just before",
    ),
    (
        "workers.rs",
        "SELECT MAX(a.started_at) FROM job_attempts a WHERE a.job_id = j.id",
        "heartbeats: whether a lease's owner still runs it, a property of the process",
    ),
    (
        "workflows.rs",
        "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, input,",
        "a step row of the run's workflow, loaded through the tenant and fenced by the lease",
    ),
    (
        "maintenance.rs",
        "SELECT COUNT(*) FROM workflows",
        "db backup/restore inspect a whole database file, every tenant's rows",
    ),
    (
        "usage.rs",
        "INSERT INTO usage (tenant_id, day, metric, shard, n) SELECT v.column1,",
        "a multi-row counter UPSERT: each row's tenant is its bound value, as in a VALUES insert \
         (a SELECT only to compute the shard)",
    ),
    (
        "usage.rs",
        "SELECT w.tenant_id FROM workflows w JOIN submissions s ON s.id = w.submission_id",
        "usage is counted under the workflow's own tenant, read from its row, for the same reason",
    ),
    (
        "usage.rs",
        "SELECT tenant_id, metric, SUM(n) FROM usage GROUP BY tenant_id",
        "/metrics with [metrics] tenant_labels: a deliberate read across tenants, like the gauges",
    ),
    (
        "stats.rs",
        "SELECT tenant_id, queue, state, COUNT(*) FROM jobs GROUP BY tenant_id",
        "/metrics store gauges: every tenant's queue depth, so the queue alerts see every tenant",
    ),
    (
        "stats.rs",
        "SELECT tenant_id, queue, ?1 - MIN(run_at) FROM jobs",
        "/metrics store gauges: every tenant's oldest waiting job",
    ),
    (
        "stats.rs",
        "SELECT tenant_id, COUNT(*) FROM dead_letters WHERE resolved_at IS NULL GROUP BY tenant_id",
        "/metrics store gauges: every tenant's open dead letters",
    ),
    (
        "submissions.rs",
        "SELECT w.status FROM workflows w JOIN submissions s ON s.id = w.submission_id WHERE w.id = ?1 AND s.synthetic = 1",
        "GET /api/probe/ID: a tenant's probe posts to its own URL; only synthetic workflows answer, \
         by a UUIDv7 only that probe has seen",
    ),
    (
        "submissions.rs",
        "SELECT s.id, w.tenant_id FROM submissions s JOIN workflows w ON w.submission_id = s.id WHERE w.id = ?1 AND s.synthetic = 1",
        "DELETE /api/probe/ID: reads the synthetic workflow's own tenant; the deletes filter by it",
    ),
    (
        "api_keys.rs",
        "SELECT {COLUMNS} FROM api_keys WHERE id = ?1",
        "authenticating an API key: the presented key names its tenant, so the lookup by its \
         public id cannot be scoped; the secret's hash is checked before the row is trusted",
    ),
];

/// Whether a statement is held to a tenant: an INSERT that writes the `tenant_id` column, or a
/// predicate on it (`tenant_id = ?`, `tenant_id IN (…)`, `… = x.tenant_id`). Merely reading the
/// column (`SELECT tenant_id FROM jobs WHERE id = ?1`) is no predicate.
fn has_tenant_predicate(sql: &str) -> bool {
    let upper = sql.to_uppercase();
    if upper.trim_start().starts_with("INSERT")
        && let Some(columns) = upper.split(')').next()
        && columns.contains("TENANT_ID")
        && !upper.contains(" SELECT ")
    {
        return true;
    }
    let words: Vec<&str> = upper
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|w| {
        let column = |t: &str| t == "TENANT_ID" || t.ends_with(".TENANT_ID");
        (column(w[0]) && ["=", "IN", "IS"].contains(&w[1]))
            || (w[0] == "=" && column(w[1]))
            || w[0].ends_with("TENANT_ID=")
    })
}

/// Isolation lives in the store: every query over a tenant table (or a child table reached
/// through one) carries a `tenant_id` predicate, so an id of another tenant is simply not
/// found. A query without one fails here unless it is queue or process machinery listed above.
#[test]
fn every_store_query_over_tenant_data_has_a_tenant_predicate() {
    let (tenant, child) = tenant_tables();
    assert!(tenant.iter().any(|t| t == "drafts"), "{tenant:?}");
    assert!(child.iter().any(|t| t == "workflow_steps"), "{child:?}");
    let names_a_table = |sql: &str| {
        let words: Vec<&str> = sql
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        words.windows(2).any(|w| {
            // A JOIN hangs off a FROM (or a FROM fragment spliced into a query that filters
            // its driving table), so the statement's own table decides.
            ["FROM", "INTO", "UPDATE"].contains(&w[0])
                && (tenant.iter().any(|t| t == w[1]) || child.iter().any(|t| t == w[1]))
        })
    };
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut files = Vec::new();
    rust_files(&store, &mut files);
    files.sort();
    let mut used = vec![false; TENANT_PREDICATE_EXEMPT.len()];
    let mut offenders = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        for (line, sql) in string_literals(&text) {
            if !names_a_table(&sql) || has_tenant_predicate(&sql) {
                continue;
            }
            match TENANT_PREDICATE_EXEMPT
                .iter()
                .position(|(f, piece, _)| *f == name && sql.contains(piece))
            {
                Some(n) => used[n] = true,
                None => offenders.push(format!("{}:{line}: {sql}", file.display())),
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "store queries over tenant data without a tenant_id predicate (filter by the store's \
         tenant, or reach a child table through its tenant-filtered parent):\n{}",
        offenders.join("\n")
    );
    let stale: Vec<_> = TENANT_PREDICATE_EXEMPT
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((f, piece, _), _)| format!("{f}: {piece}"))
        .collect();
    assert!(
        stale.is_empty(),
        "exemptions that match no query: {stale:?}"
    );
}
