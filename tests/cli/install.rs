//! `install.sh`: installs binary, man pages and completions into a prefix, idempotently, and
//! removes them again.

use std::path::Path;
use std::process::Command;

fn install(prefix: &Path, extra: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh"))
        .args(extra)
        .env("PREFIX", prefix)
        .output()
        .expect("run install.sh")
}

#[test]
fn installs_idempotently_into_a_prefix_and_uninstalls() {
    let prefix = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_salesagent");
    for _ in 0..2 {
        let out = install(prefix.path(), &["--bin", bin]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let p = prefix.path();
    for file in [
        "bin/salesagent",
        "share/man/man1/salesagent.1",
        "share/man/man1/salesagent-run.1",
        "share/bash-completion/completions/salesagent",
        "share/zsh/site-functions/_salesagent",
        "share/fish/vendor_completions.d/salesagent.fish",
    ] {
        assert!(p.join(file).is_file(), "{file} missing");
    }
    let version = Command::new(p.join("bin/salesagent"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("salesagent "));
    let out = install(p, &["--uninstall"]);
    assert!(out.status.success());
    assert!(!p.join("bin/salesagent").exists());
    assert!(!p.join("share/man/man1/salesagent.1").exists());
    assert!(!p.join("share/zsh/site-functions/_salesagent").exists());
    let bad = install(p, &["--frobnicate"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_build_installs_the_binary_from_wherever_cargo_put_it() {
    let prefix = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    // A stand-in for cargo that "builds" into CARGO_TARGET_DIR, as cargo does, and reports the
    // artifact the way `--message-format=json` does (a real release build is minutes long).
    let fake = tools.path().join("cargo");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nset -e\nmkdir -p \"$CARGO_TARGET_DIR/release\"\n\
             cp '{bin}' \"$CARGO_TARGET_DIR/release/salesagent\"\n\
             echo \"fake cargo $*\" >&2\n\
             printf '{{\"reason\":\"compiler-artifact\",\"target\":{{\"name\":\"salesagent\"}},\"executable\":\"%s\"}}\\n' \
             \"$CARGO_TARGET_DIR/release/salesagent\"\n\
             echo '{{\"reason\":\"build-finished\",\"success\":true}}'\n",
            bin = env!("CARGO_BIN_EXE_salesagent")
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh"))
        .env("PREFIX", prefix.path())
        .env("CARGO_TARGET_DIR", target.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                tools.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run install.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(prefix.path().join("bin/salesagent").is_file());
}
