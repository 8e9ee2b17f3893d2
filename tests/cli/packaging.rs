//! Packaging held against the real tools: the systemd unit's `systemd-analyze security` score,
//! the crontab's nightly backup (run as cron would), the man pages under `mandoc -T lint`, and
//! `--help` keeping global options under their own heading.

use std::path::{Path, PathBuf};

use crate::deploy::installed_tool;
use crate::env::{TestEnv, stderr, stdout};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_service_unit_is_hardened_to_an_exposure_of_at_most_2_5() {
    let unit = root().join("deploy/salesagent.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    for directive in [
        "UMask=0027",
        "PrivateDevices=true",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectClock=true",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "LockPersonality=true",
        "MemoryDenyWriteExecute=true",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == directive),
            "{directive} missing"
        );
    }
    let Some(out) = installed_tool(
        "systemd-analyze",
        &["security", "--offline=true", unit.to_str().unwrap()],
    ) else {
        return;
    };
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let score: f64 = report
        .lines()
        .find_map(|l| l.split("exposure level for salesagent.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no score in:\n{report}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(score <= 2.5, "exposure {score} > 2.5:\n{report}");
}

/// Runs the line of deploy/crontab that contains `marker` with `sh`, as cron runs it (`\%` is a
/// plain `%`), against a fresh database, with `system_dir` moved into the env's directory (where
/// it does not exist yet); returns the env and where `system_dir` went.
fn run_crontab_line(marker: &str, system_dir: &str) -> (TestEnv, PathBuf) {
    let crontab = std::fs::read_to_string(root().join("deploy/crontab")).unwrap();
    let line = crontab
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("a crontab line with {marker:?}"));
    let env = TestEnv::new();
    env.init_db();
    let moved = env.path().join(system_dir.trim_start_matches('/'));
    let command = line
        .split_whitespace()
        .skip(5)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("\\%", "%")
        .replace(system_dir, moved.to_str().unwrap());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_salesagent"))
        .parent()
        .unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(env.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("SALESAGENT_DB", env.db())
        .output()
        .unwrap();
    crate::deploy::assert_succeeded(&out, &command);
    (env, moved)
}

/// The backup line of deploy/crontab, with /var/backups moved into the test's directory.
#[test]
fn the_crontab_backup_creates_its_directory() {
    let (_env, backups) = run_crontab_line("db backup", "/var/backups");
    let made: Vec<_> = std::fs::read_dir(backups.join("salesagent"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].starts_with("salesagent-") && made[0].ends_with(".db"));
    let tmpfiles = std::fs::read_to_string(root().join("deploy/salesagent.tmpfiles")).unwrap();
    assert!(tmpfiles.contains("d /var/backups/salesagent 0750 salesagent salesagent"));
}

/// The monthly usage export of deploy/crontab, with /var/lib/salesagent moved into the test's
/// directory: last month's CSV, header first, totals last.
#[test]
fn the_crontab_usage_export_writes_last_months_csv() {
    let (_env, data) = run_crontab_line("salesagent usage", "/var/lib/salesagent");
    let made: Vec<_> = std::fs::read_dir(data.join("usage"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let name = made[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("usage-") && name.ends_with(".csv"),
        "{name}"
    );
    let text = std::fs::read_to_string(&made[0]).unwrap();
    assert!(
        text.starts_with("tenant,period,period_start,period_end,"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with(",total,"),
        "{text}"
    );
}

fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("man"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(pages.len() > 50);
    pages
}

#[test]
fn man_pages_carry_version_date_and_the_sections_operators_look_for() {
    let version = env!("CARGO_PKG_VERSION");
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page.file_stem().unwrap().to_str().unwrap().to_uppercase();
        let th = text.lines().find(|l| l.starts_with(".TH ")).unwrap();
        let parts: Vec<&str> = th.split_whitespace().collect();
        assert_eq!(parts[1], name, "{th}");
        assert!(
            parts[3].len() == 10 && parts[3].chars().nth(4) == Some('-'),
            "no ISO date in {th}"
        );
        assert!(th.contains(&format!("\"salesagent {version}\"")), "{th}");
        for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH EXAMPLES"] {
            assert!(text.contains(section), "{}: no {section}", page.display());
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(
                line.trim_end(),
                *line,
                "{}:{}: trailing whitespace",
                page.display(),
                i + 1
            );
            if *line == ".br" {
                let near = [
                    lines.get(i + 1),
                    i.checked_sub(1).and_then(|j| lines.get(j)),
                ];
                assert!(
                    !near.iter().flatten().any(|l| **l == ".sp" || l.is_empty()),
                    "{}:{}: .br beside .sp",
                    page.display(),
                    i + 1
                );
            }
        }
    }
}

#[test]
fn man_pages_are_mandoc_lint_clean() {
    let paths: Vec<String> = pages()
        .iter()
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["-T", "lint"];
    args.extend(paths.iter().map(String::as_str));
    let Some(out) = installed_tool("mandoc", &args) else {
        return;
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.trim().is_empty(), "mandoc -T lint:\n{report}");
    assert!(out.status.success());
}

#[test]
fn help_puts_global_options_under_their_own_heading() {
    let env = TestEnv::new();
    let out = env.run(&["drafts", "list", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    let (own, global) = help
        .split_once("Global options:")
        .unwrap_or_else(|| panic!("no Global options heading:\n{help}"));
    assert!(own.contains("--status") && !own.contains("--db "), "{help}");
    assert!(
        global.contains("--db ") && global.contains("--log-format"),
        "{help}"
    );
}

/// What the unit's sandbox allows, checked against what `serve` does: every system call of a
/// run (start, a webhook through a workflow, a scrape, readiness, SIGTERM) is in systemd's
/// `@system-service` set, sockets are AF_INET/AF_INET6/AF_UNIX only, and no mapping is both
/// writable and executable (MemoryDenyWriteExecute). Without PID 1 systemd here, this is how we
/// check that the binary still runs under the hardening.
#[test]
fn serve_stays_inside_the_units_system_call_filter() {
    let Some(filters) = installed_tool("systemd-analyze", &["syscall-filter"]) else {
        return;
    };
    if installed_tool("strace", &["-V"]).is_none() {
        return;
    }
    let allowed = expand_filter(&String::from_utf8_lossy(&filters.stdout), "@system-service");
    assert!(allowed.len() > 100, "{allowed:?}");
    let env = TestEnv::new();
    let trace = env.path().join("trace");
    let log = env.path().join("serve.log");
    let mut child = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", trace.to_str().unwrap()])
        .arg(env!("CARGO_BIN_EXE_salesagent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "1"])
        .current_dir(env.path())
        .env("SALESAGENT_DB", env.db())
        .env("SALESAGENT_WEBHOOK_SECRET", crate::server_support::SECRET)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut base = String::new();
    crate::server_support::wait_for("serve under strace to listen", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        match text.split("listening on ").nth(1) {
            Some(rest) => {
                base = rest.lines().next().unwrap().trim().to_string();
                true
            }
            None => false,
        }
    });
    let sent = env
        .cmd()
        .env("SALESAGENT_WEBHOOK_SECRET", crate::server_support::SECRET)
        .args(["webhook", "send", "-", "--url"])
        .arg(format!("{base}{}", crate::server_support::PATH))
        .write_stdin(crate::server_support::seed_payload(1))
        .output()
        .unwrap();
    crate::deploy::assert_succeeded(&sent, "webhook send");
    crate::server_support::wait_for("the workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 1
    });
    for path in ["/metrics", "/health/ready"] {
        let resp = reqwest::blocking::get(format!("{base}{path}")).unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
    // SIGTERM to serve itself (the first process in the trace), by pid.
    let text = std::fs::read_to_string(&trace).unwrap();
    let pid = text.split_whitespace().next().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    crate::server_support::wait_for("serve to exit", || child.try_wait().unwrap().is_some());
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for line in text.lines() {
        let call = line.split_whitespace().nth(1).unwrap_or("");
        // strace writes `???` for a call it could not decode (a thread interrupted mid-call at
        // exit): no name to check.
        if let Some((name, _)) = call.split_once('(').filter(|(name, _)| *name != "???") {
            used.insert(name.to_string());
        }
        if line.contains("PROT_WRITE|PROT_EXEC") || line.contains("PROT_EXEC|PROT_WRITE") {
            panic!("a writable and executable mapping: {line}");
        }
        if let Some(rest) = line.split("socket(").nth(1) {
            let family = rest.split(',').next().unwrap_or("");
            assert!(
                ["AF_INET", "AF_INET6", "AF_UNIX"].contains(&family),
                "socket family {family}: {line}"
            );
        }
    }
    let outside: Vec<&String> = used.iter().filter(|s| !allowed.contains(*s)).collect();
    assert!(used.len() > 20, "{used:?}");
    assert!(
        outside.is_empty(),
        "system calls outside @system-service: {outside:?}"
    );
}

/// The system calls of a `systemd-analyze syscall-filter` group, nested groups expanded.
fn expand_filter(listing: &str, group: &str) -> std::collections::BTreeSet<String> {
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut current = None;
    for line in listing.lines() {
        let item = line.trim();
        if line.starts_with('@') {
            current = Some(item.to_string());
            groups.entry(item.to_string()).or_default();
        } else if let Some(g) = &current
            && !item.is_empty()
            && !item.starts_with('#')
        {
            groups.get_mut(g).unwrap().push(item.to_string());
        }
    }
    let mut out = std::collections::BTreeSet::new();
    let mut todo = vec![group.to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(g) = todo.pop() {
        if !seen.insert(g.clone()) {
            continue;
        }
        for item in groups.get(&g).into_iter().flatten() {
            if item.starts_with('@') {
                todo.push(item.clone());
            } else {
                out.insert(item.clone());
            }
        }
    }
    out
}
