//! Man pages from the clap definitions (clap_mangen) plus the sections clap does not know: EXIT
//! STATUS, ENVIRONMENT and EXAMPLES; a `.TH` line with the version and date; and source that
//! `mandoc -T lint` reads without a warning (no trailing whitespace, no `.br` beside `.sp`,
//! lines within 80 bytes).

use std::fmt::Write as _;

use crate::exit::ExitStatus;

/// The date on every page: the release of this version (bump it with the version). A build
/// date would make the checked-in pages stale every day.
pub const RELEASE_DATE: &str = "2026-12-01";

/// Variables every command reads.
const ENVIRONMENT: [(&str, &str); 9] = [
    (
        "SALESAGENT_DB",
        "The database: a SQLite file (default ./salesagent.db) or a postgres:// URL \
         (?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA); --db overrides it.",
    ),
    (
        "SALESAGENT_DB_PASSWORD, SALESAGENT_DB_PASSWORD_FILE",
        "The PostgreSQL password when the URL has none (else ~/.pgpass or PGPASSFILE).",
    ),
    (
        "SALESAGENT_CONFIG",
        "The config file (default ./salesagent.toml when present); --config overrides it.",
    ),
    (
        "SALESAGENT_DATA_DIR",
        "Where mail files go (default: the database's directory).",
    ),
    (
        "SALESAGENT_LOG",
        "A tracing filter for stderr, e.g. salesagent=debug (overrides -v and -q).",
    ),
    (
        "SALESAGENT_WEBHOOK_SECRET, SALESAGENT_WEBHOOK_SECRET_FILE",
        "The HubSpot app secret for signatures (serve, webhook sign, webhook send, probe).",
    ),
    (
        "SALESAGENT_*",
        "Any config key, e.g. SALESAGENT_CONNECTORS_MAILBOX=gmail; secrets also as *_FILE paths.",
    ),
    ("NO_COLOR", "Set to turn colour off."),
    (
        "USER",
        "The actor recorded in the audit log when --by is not given.",
    ),
];

/// Examples per page (`salesagent-drafts-list` and so on): (what it does, the command).
const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "salesagent",
        &[
            (
                "Run one payload through the pipeline with the embedded connectors:",
                "salesagent run fixtures/seed-shape.json",
            ),
            (
                "See the draft waiting for review:",
                "salesagent drafts list",
            ),
            (
                "Serve webhooks with two worker threads:",
                "salesagent serve --listen 127.0.0.1:8080 --workers 2",
            ),
        ],
    ),
    (
        "salesagent-run",
        &[
            ("Process a payload file:", "salesagent run payload.json"),
            (
                "Read the payload from standard input, report as JSON:",
                "curl -s https://example.com/payload.json | salesagent run - --json",
            ),
        ],
    ),
    (
        "salesagent-serve",
        &[
            (
                "Intake and workers in one process:",
                "salesagent serve --listen 0.0.0.0:8080 --workers 2",
            ),
            (
                "Intake only, with workers elsewhere:",
                "salesagent serve --workers 0",
            ),
        ],
    ),
    (
        "salesagent-worker",
        &[(
            "Four threads, at most one batch job at a time:",
            "salesagent worker --workers 4 --queues priority,normal,batch=1",
        )],
    ),
    (
        "salesagent-eval-run",
        &[
            (
                "Re-compose the last 30 days of drafts with a candidate prompt:",
                "salesagent eval run --candidate candidate.toml --since 30d",
            ),
            (
                "A random sample of 50 past drafts:",
                "salesagent eval run --candidate candidate.toml --sample 50",
            ),
            (
                "Continue an interrupted run:",
                "salesagent eval run --resume RUN",
            ),
        ],
    ),
    (
        "salesagent-eval-show",
        &[
            (
                "Each lead: the operator's draft beside the candidate's, with a word diff:",
                "salesagent eval show RUN",
            ),
            (
                "Only the figures, for a script:",
                "salesagent eval show RUN --summary-only --json",
            ),
        ],
    ),
    (
        "salesagent-eval-report",
        &[(
            "One self-contained page to share with the sales team:",
            "salesagent eval report RUN --html eval.html",
        )],
    ),
    (
        "salesagent-eval-compare",
        &[(
            "Two candidates on the same leads:",
            "salesagent eval compare RUN_A RUN_B",
        )],
    ),
    (
        "salesagent-drafts-list",
        &[
            (
                "Drafts waiting for review:",
                "salesagent drafts list --status pending_review",
            ),
            ("The same for a script:", "salesagent drafts list --json"),
        ],
    ),
    (
        "salesagent-drafts-show",
        &[(
            "The whole email and its workflow:",
            "salesagent drafts show ID",
        )],
    ),
    (
        "salesagent-drafts-review",
        &[(
            "Review pending drafts one by one on a terminal:",
            "salesagent drafts review",
        )],
    ),
    (
        "salesagent-drafts-approve",
        &[
            (
                "Approve one draft:",
                "salesagent drafts approve ID --by dana",
            ),
            (
                "Approve every pending draft from one sender, without a prompt:",
                "salesagent drafts approve --all-pending --sender sales@example.com --yes",
            ),
        ],
    ),
    (
        "salesagent-drafts-reject",
        &[(
            "Reject with a reason:",
            "salesagent drafts reject ID --reason \"wrong product line\"",
        )],
    ),
    (
        "salesagent-drafts-send",
        &[(
            "Send the drafts approved earlier (SEND mode only):",
            "salesagent drafts send --approved --yes",
        )],
    ),
    (
        "salesagent-mode-show",
        &[("The mode and the SEND gates:", "salesagent mode show")],
    ),
    (
        "salesagent-mode-set",
        &[
            (
                "The kill switch, always allowed:",
                "salesagent mode set draft-only --reason \"pause sends\"",
            ),
            (
                "Switch sending on (audited):",
                "salesagent mode set send --reason launch --yes",
            ),
        ],
    ),
    (
        "salesagent-dlq-list",
        &[(
            "Dead letters of the last hour:",
            "salesagent dlq list --since 1h",
        )],
    ),
    (
        "salesagent-dlq-retry",
        &[(
            "Retry every dead letter of one class after an outage:",
            "salesagent dlq retry --class external_service --yes",
        )],
    ),
    (
        "salesagent-dlq-export",
        &[(
            "Export dead letters for a spreadsheet:",
            "salesagent dlq export --format csv --output dlq.csv",
        )],
    ),
    (
        "salesagent-import",
        &[
            (
                "Check a file first:",
                "salesagent import leads.csv --dry-run",
            ),
            ("Import it:", "salesagent import leads.csv"),
        ],
    ),
    (
        "salesagent-import-errors",
        &[(
            "The rejected rows, to fix and import again:",
            "salesagent import errors ID --format csv > fix.csv",
        )],
    ),
    (
        "salesagent-reconcile",
        &[
            (
                "Report drift between the store, the mailbox and the CRM:",
                "salesagent reconcile",
            ),
            (
                "Fix what can be fixed safely (cron):",
                "salesagent reconcile --fix --quiet --since 7d",
            ),
        ],
    ),
    (
        "salesagent-webhook-sign",
        &[(
            "The headers HubSpot would send for a payload:",
            "salesagent webhook sign payload.json --url https://hooks.example.com/api/webhooks/hubspot/forms",
        )],
    ),
    (
        "salesagent-webhook-send",
        &[(
            "Post a signed payload to a running serve:",
            "salesagent webhook send payload.json --url http://127.0.0.1:8080/api/webhooks/hubspot/forms",
        )],
    ),
    (
        "salesagent-probe",
        &[(
            "Check a deployment end to end:",
            "salesagent probe --url http://127.0.0.1:8080/api/webhooks/hubspot/forms",
        )],
    ),
    (
        "salesagent-db-backup",
        &[(
            "An online, consistent copy:",
            "salesagent db backup /var/backups/salesagent/salesagent.db",
        )],
    ),
    (
        "salesagent-db-copy",
        &[
            (
                "Move to PostgreSQL (serve and workers stopped; run again to resume):",
                "salesagent db copy --to postgres://sa@db.example/salesagent",
            ),
            (
                "Password from a file, TLS required:",
                "SALESAGENT_DB_PASSWORD_FILE=/run/secrets/pg salesagent db copy --to 'postgres://sa@db.example/salesagent?sslmode=require'",
            ),
        ],
    ),
    (
        "salesagent-config-check",
        &[
            ("Validate the configuration:", "salesagent config check"),
            (
                "Also call each configured service:",
                "salesagent config check --live",
            ),
        ],
    ),
    (
        "salesagent-stats",
        &[("The last hour:", "salesagent stats --since 1h")],
    ),
    (
        "salesagent-queues",
        &[("Jobs per queue and state:", "salesagent queues --json")],
    ),
    (
        "salesagent-usage",
        &[
            (
                "This tenant's last 30 days:",
                "salesagent usage --tenant acme",
            ),
            (
                "Last month of every tenant, for the billing system:",
                "salesagent usage --month 2026-11 --by month -o usage-2026-11.csv",
            ),
        ],
    ),
    (
        "salesagent-workflows-show",
        &[("Every step of a workflow:", "salesagent workflows show ID")],
    ),
    (
        "salesagent-workflows-retry",
        &[(
            "Run a failed workflow again from its first unfinished step:",
            "salesagent workflows retry ID",
        )],
    ),
    (
        "salesagent-completions",
        &[(
            "Install bash completions:",
            "salesagent completions bash > ~/.local/share/bash-completion/completions/salesagent",
        )],
    ),
    (
        "salesagent-man",
        &[(
            "Write every page:",
            "salesagent man --dir /usr/local/share/man/man1",
        )],
    ),
];

/// What each exit code means, and which page lists it.
fn exit_codes(page: &str) -> Vec<(u8, &'static str)> {
    ExitStatus::DOCUMENTED
        .iter()
        .filter(|(status, _)| match status {
            ExitStatus::Findings => {
                page == "salesagent" || page.starts_with("salesagent-reconcile")
            }
            ExitStatus::RowsRejected => {
                page == "salesagent" || page.starts_with("salesagent-import")
            }
            _ => true,
        })
        .map(|(status, text)| (*status as u8, *text))
        .collect()
}

/// Escapes text for roff: backslashes, hyphens that must stay hyphens, and a leading dot or
/// quote that would read as a macro.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The EXIT STATUS, ENVIRONMENT and EXAMPLES sections of `page`, in roff.
fn extra_sections(page: &str, cmd: &clap::Command) -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, text) in exit_codes(page) {
        let _ = write!(out, ".TP\n{code}\n{}\n", roff_text(text));
    }
    out.push_str(".SH ENVIRONMENT\n");
    let own = cmd.get_arguments().filter_map(|a| {
        let env = a.get_env()?.to_str()?.to_string();
        let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        Some((env, help))
    });
    let global = ENVIRONMENT
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()));
    for (name, text) in own.chain(global) {
        let _ = write!(
            out,
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(&name),
            roff_text(&text)
        );
    }
    out.push_str(".SH EXAMPLES\n");
    let examples = EXAMPLES
        .iter()
        .find(|(p, _)| *p == page)
        .map(|(_, e)| e.to_vec())
        .unwrap_or_default();
    let command = page.replace('-', " ");
    let fallback = [(
        "Every option of this command:".to_string(),
        format!("{command} --help"),
    )];
    let examples: Vec<(String, String)> = if examples.is_empty() {
        fallback.to_vec()
    } else {
        examples
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    for (what, example) in examples {
        let _ = write!(
            out,
            ".PP\n{}\n.PP\n.RS 4\n.EX\n{}\n.EE\n.RE\n",
            roff_text(&what),
            roff_text(&example)
        );
    }
    out
}

/// The whole page for `cmd` named `page` (`salesagent-drafts-list`).
pub fn render(cmd: clap::Command, page: &str) -> std::io::Result<String> {
    let has_version = cmd.get_version().is_some();
    let version = env!("CARGO_PKG_VERSION");
    let extra = extra_sections(page, &cmd);
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let man = clap_mangen::Man::new(cmd.clone().name(page.to_string()))
        .title(page.to_uppercase())
        .date(RELEASE_DATE)
        .source(format!("salesagent {version}"))
        .manual("salesagent manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if has_args {
        man.render_options_section(&mut out)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    out.extend_from_slice(extra.as_bytes());
    if has_version {
        man.render_version_section(&mut out)?;
    }
    Ok(lint_clean(&String::from_utf8_lossy(&out)))
}

/// Source that `mandoc -T lint` accepts: no trailing whitespace, no `.br` next to a `.sp` (the
/// `.sp` already breaks), text lines wrapped within 80 bytes outside no-fill blocks.
fn lint_clean(roff: &str) -> String {
    let roff = escape_non_ascii(roff);
    let mut lines: Vec<&str> = Vec::new();
    for line in roff.lines().map(str::trim_end) {
        // clap_mangen starts every section it renders with the same two-line preamble.
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && lines.contains(&line) {
            continue;
        }
        lines.push(line);
    }
    // A blank line is a paragraph break (.sp) in fill mode.
    let is_space = |l: &str| l == ".sp" || l.is_empty();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied().unwrap_or("-");
        let previous = kept.last().copied().unwrap_or("-");
        if *line == ".br" && (is_space(next) || is_space(previous)) {
            continue;
        }
        // A paragraph macro right after a section heading does nothing.
        if *line == ".PP" && previous.starts_with(".SH") {
            continue;
        }
        kept.push(line);
    }
    let mut out = String::with_capacity(roff.len() + 256);
    let mut no_fill = false;
    let mut after_tp = false;
    for line in kept {
        match line {
            ".nf" | ".EX" => no_fill = true,
            ".fi" | ".EE" => no_fill = false,
            _ => {}
        }
        let is_macro = line.starts_with(['.', '\'']);
        if line.is_empty() && !no_fill {
            out.push_str(".sp\n");
        } else if is_macro || no_fill || after_tp || line.len() <= 80 {
            out.push_str(line);
            out.push('\n');
        } else {
            wrap(line, &mut out);
        }
        after_tp = line == ".TP";
    }
    out
}

/// Non-ASCII characters as roff's `\[uXXXX]` escapes, which every formatter reads the same.
fn escape_non_ascii(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\[u{:04X}]", c as u32);
        }
    }
    out
}

/// Breaks a filled text line at spaces into lines of at most 80 bytes where it can (a space in
/// the source is a space on the page).
fn wrap(line: &str, out: &mut String) {
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.len() + 1 + word.len() > 80 {
            out.push_str(&current);
            out.push('\n');
            current.clear();
        }
        if current.is_empty() {
            if word.starts_with(['.', '\'']) {
                current.push_str("\\&");
            }
        } else {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push_str(&current);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn br_beside_sp_is_dropped_and_long_text_wraps() {
        let long = "word ".repeat(30);
        let roff = format!(".SH A\ntext \n.br\n.sp\n{long}\n.nf\n{long}\n.fi\n.TP\n{long}\n");
        let clean = lint_clean(&roff);
        assert!(!clean.contains(".br"), "{clean}");
        assert!(!clean.lines().any(|l| l.ends_with(' ')));
        let lines: Vec<&str> = clean.lines().collect();
        assert!(lines[3].len() <= 80 && lines[4].len() <= 80);
        // No-fill blocks and .TP tags stay as they are.
        assert!(lines.contains(&long.trim_end()));
    }

    #[test]
    fn examples_name_existing_pages() {
        let cmd = <super::super::Cli as clap::CommandFactory>::command();
        let mut pages = vec!["salesagent".to_string()];
        fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<String>) {
            for sub in cmd.get_subcommands() {
                let page = format!("{name}-{}", sub.get_name());
                pages.push(page.clone());
                collect(sub, &page, pages);
            }
        }
        collect(&cmd, "salesagent", &mut pages);
        for (page, _) in EXAMPLES {
            assert!(pages.iter().any(|p| p == page), "no page {page}");
        }
    }
}
