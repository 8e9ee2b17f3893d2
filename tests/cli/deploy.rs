//! `deploy/`: the alert rules and the dashboard parse, and every metric they name is one the binary
//! exposes (a renamed metric must not silently break an alert).

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
