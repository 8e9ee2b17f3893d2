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
