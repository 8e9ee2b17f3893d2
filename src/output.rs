//! Everything a user sees goes through [`Printer`]: results to stdout (tables or `--json`), status
//! and warnings to stderr. Nothing below `cli/` prints.

use std::io::{IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct Printer {
    json: bool,
    quiet: bool,
    stdout_tty: bool,
    stderr_tty: bool,
}

impl Printer {
    pub fn new(json: bool, quiet: bool) -> Printer {
        Printer {
            json,
            quiet,
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// Whether the user asked for JSON on stdout.
    pub fn json(&self) -> bool {
        self.json
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether a person is likely watching stderr (progress bars, prompts).
    pub fn interactive(&self) -> bool {
        self.stderr_tty && std::io::stdin().is_terminal()
    }

    pub fn stderr_is_tty(&self) -> bool {
        self.stderr_tty
    }

    /// One JSON document on stdout: pretty on a terminal, one line otherwise (for `jq` and JSONL).
    pub fn print_json<T: Serialize + ?Sized>(&self, value: &T) -> std::io::Result<()> {
        let text = if self.stdout_tty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(std::io::Error::other)?;
        self.line(&text)
    }

    /// A line of results on stdout.
    pub fn line(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()
    }

    /// Bytes on stdout exactly as given (a generated script).
    pub fn write_raw(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    /// A table whose look fits the destination: boxed on a terminal, plain columns in a pipe.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        if self.stdout_tty {
            table
                .load_preset(presets::UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table
                .load_preset(presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled);
        }
        table.set_header(header.to_vec());
        table
    }

    pub fn print_table(&self, table: &Table) -> std::io::Result<()> {
        let text = table.to_string();
        // comfy-table pads plain columns on the left of each row: trim for clean pipes.
        if self.stdout_tty {
            self.line(&text)
        } else {
            let trimmed: Vec<&str> = text.lines().map(|l| l.trim()).collect();
            self.line(&trimmed.join("\n"))
        }
    }

    /// Status for a person, on stderr; silenced by `-q`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A warning on stderr, even with `-q`.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }
}
