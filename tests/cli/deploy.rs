//! `deploy/`: the alert rules and the dashboard parse, and every metric they name is one the binary
//! exposes (a renamed metric must not silently break an alert); the alert rules pass their
//! `promtool test rules` unit tests; the dashboard's panels keep to one unit each.

use std::path::Path;
use std::process::Command;

use salesagent::metrics::CATALOGUE;

fn deploy(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

/// Every `salesagent_*` identifier in `text`, without histogram suffixes.
fn metric_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("salesagent_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = tail[..end]
            .trim_end_matches("_bucket")
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        names.push(name.to_string());
        rest = &tail[end..];
    }
    names
}

fn assert_known(names: &[String], file: &str) {
    assert!(!names.is_empty(), "{file} names no metric");
    for name in names {
        assert!(
            CATALOGUE.iter().any(|(n, _, _)| n == name),
            "{file} uses {name}, which salesagent does not expose"
        );
    }
}

#[test]
fn alert_rules_are_valid_and_name_real_metrics() {
    let path = deploy("prometheus/alerts.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_known(&metric_names(&text), "alerts.yml");
    if let Ok(out) = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
    {
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        return;
    }
    // Without promtool: parse the YAML with Python when it has PyYAML, and check the structure.
    let check = "import sys, yaml\n\
                 doc = yaml.safe_load(open(sys.argv[1]))\n\
                 rules = doc['groups'][0]['rules']\n\
                 assert len(rules) >= 7, len(rules)\n\
                 for r in rules:\n    assert {'alert', 'expr', 'for', 'labels', 'annotations'} <= set(r), r\n\
                 print(len(rules))";
    match Command::new("python3")
        .args(["-c", check])
        .arg(&path)
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'yaml'") => {
            // Last resort: every rule has the five keys.
            let alerts = text.matches("- alert:").count();
            assert!(alerts >= 7);
            for key in ["expr:", "for:", "labels:", "annotations:", "runbook:"] {
                assert_eq!(text.matches(key).count(), alerts, "{key}");
            }
        }
        Ok(out) => panic!("alerts.yml: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => panic!("python3: {e}"),
    }
}

#[test]
fn every_alert_has_a_runbook_section() {
    let alerts = std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap();
    let runbooks =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbooks.md"))
            .unwrap();
    for line in alerts
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        assert!(
            runbooks.contains(&format!("## {line}")),
            "no runbook for {line}"
        );
    }
}

#[test]
fn the_dashboard_is_json_and_names_real_metrics() {
    let text = std::fs::read_to_string(deploy("grafana/salesagent.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 10);
    let exprs: Vec<String> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect();
    assert_known(&metric_names(&exprs.join("\n")), "salesagent.json");
}

/// Runs `tool args…`, or prints one visible notice and returns None when it is not installed.
pub fn installed_tool(tool: &str, args: &[&str]) -> Option<std::process::Output> {
    installed_tool_with_input(tool, args, b"")
}

/// The same, with `input` on the tool's stdin.
pub fn installed_tool_with_input(
    tool: &str,
    args: &[&str],
    input: &[u8],
) -> Option<std::process::Output> {
    use std::io::Write as _;
    use std::process::Stdio;
    let spawned = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let run = spawned.and_then(|mut child| {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input)?;
        drop(stdin);
        child.wait_with_output()
    });
    match run {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: {tool} not installed (apt-get install the package that has it)");
            None
        }
        Err(e) => panic!("{tool}: {e}"),
    }
}

#[test]
fn alert_rules_pass_their_promtool_unit_tests() {
    let tests = deploy("prometheus/alerts.test.yml");
    let Some(out) = installed_tool("promtool", &["test", "rules", tests.to_str().unwrap()]) else {
        return;
    };
    assert_succeeded(&out, "promtool test rules");
}

/// Fails with the tool's whole output unless it exited 0.
pub fn assert_succeeded(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every alert has a unit test where it fires and one where it stays silent.
#[test]
fn every_alert_is_tested_firing_and_not_firing() {
    let alerts = std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap();
    let tests = std::fs::read_to_string(deploy("prometheus/alerts.test.yml")).unwrap();
    let names: Vec<&str> = alerts
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(names.len() >= 9, "{names:?}");
    // Each `alertname:` line is followed by its `exp_alerts:` line.
    let lines: Vec<&str> = tests.lines().map(str::trim).collect();
    let cases: Vec<(&str, bool)> = lines
        .windows(2)
        .filter_map(|w| {
            let name = w[0].strip_prefix("alertname: ")?;
            let expected = w[1].strip_prefix("exp_alerts:")?.trim();
            Some((name, expected != "[]"))
        })
        .collect();
    for name in names {
        for firing in [true, false] {
            assert!(
                cases.contains(&(name, firing)),
                "alerts.test.yml has no case where {name} is {}",
                if firing { "firing" } else { "silent" }
            );
        }
    }
}

/// What a query plots: a per-second rate, a quantile of seconds, or a plain value (a gauge, or
/// an `increase` over a window).
fn kind_of(expr: &str) -> &'static str {
    if expr.contains("histogram_quantile") {
        "seconds"
    } else if expr.contains("rate(") {
        "rate"
    } else {
        "value"
    }
}

/// A panel has one unit, so every query in it must be of one kind, and the unit must fit it: a
/// gauge beside a rate, or a rate in "short", reads wrong on one axis.
#[test]
fn dashboard_panels_keep_to_one_unit() {
    let text = std::fs::read_to_string(deploy("grafana/salesagent.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap();
        let unit = panel["fieldConfig"]["defaults"]["unit"].as_str().unwrap();
        let exprs: Vec<&str> = panel["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["expr"].as_str().unwrap())
            .collect();
        let kinds: Vec<&str> = exprs.iter().map(|e| kind_of(e)).collect();
        assert!(
            kinds.iter().all(|k| *k == kinds[0]),
            "panel {title:?} mixes {kinds:?}: {exprs:?}"
        );
        let fits = match kinds[0] {
            "rate" => matches!(unit, "ops" | "reqps"),
            "seconds" => unit == "s",
            _ => !matches!(unit, "ops" | "reqps"),
        };
        assert!(fits, "panel {title:?} plots {} in unit {unit:?}", kinds[0]);
        for e in &exprs {
            assert!(
                !(e.contains("rate(") && e.contains("[1h]")),
                "panel {title:?}: an hourly rate is per second; use increase(..[1h]) for per hour"
            );
        }
    }
}
