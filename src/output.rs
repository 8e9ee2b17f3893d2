//! Everything a user sees goes through [`Printer`]: results to stdout (tables or `--json`), status
//! and warnings to stderr. Nothing below `cli/` prints.

use std::io::{IsTerminal, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, TableComponent, Width, presets};
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

    /// Stdout's terminal width in columns, when stdout is a terminal. comfy-table is built
    /// without its crossterm-based `tty` feature; the width comes from `terminal_size`, which
    /// clap already builds for `--help`.
    pub fn terminal_width(&self) -> Option<u16> {
        if !self.stdout_tty {
            return None;
        }
        terminal_size::terminal_size_of(std::io::stdout()).map(|(terminal_size::Width(w), _)| w)
    }

    /// A table whose look fits the destination: on a terminal, a rule above and below and one
    /// under the header (none between rows), as wide as the terminal at most, wrapping long
    /// cells; plain columns in a pipe.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        if self.stdout_tty {
            table
                .load_preset(presets::UTF8_HORIZONTAL_ONLY)
                .remove_style(TableComponent::HorizontalLines)
                .remove_style(TableComponent::MiddleIntersections)
                .remove_style(TableComponent::LeftBorderIntersections)
                .remove_style(TableComponent::RightBorderIntersections)
                .set_content_arrangement(ContentArrangement::Dynamic);
            if let Some(columns) = self.terminal_width() {
                table.set_width(columns);
            }
        } else {
            table
                .load_preset(presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled);
        }
        table.set_header(header.to_vec());
        table
    }

    pub fn print_table(&self, table: &Table) -> std::io::Result<()> {
        let mut table = table.clone();
        if self.stdout_tty {
            keep_short_cells_whole(&mut table);
        }
        let text = table.to_string();
        // comfy-table pads plain columns on the left of each row: trim for clean pipes.
        if self.stdout_tty {
            self.line(&text)
        } else {
            let trimmed: Vec<&str> = text.lines().map(|l| l.trim()).collect();
            self.line(&trimmed.join("\n"))
        }
    }

    /// Status for a person, on stderr; silenced by `-q`. A stderr piped into a reader that went
    /// away is not an error (`eprintln!` would panic on the broken pipe).
    pub fn status(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }

    /// An error on stderr ("error: …"), even with `-q`.
    pub fn error(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "error: {text}");
    }

    /// A warning on stderr, even with `-q`.
    pub fn warn(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "warning: {text}");
    }
}

/// Without this, fitting a wide table into the terminal shares the width out evenly and breaks
/// short values (states, header words) as readily as long messages. Each column keeps at least
/// its fair share of the width (or its content, if shorter) whole; long text wraps.
fn keep_short_cells_whole(table: &mut Table) {
    let Some(total) = table.width() else {
        return;
    };
    let widths = table.column_max_content_widths();
    let columns = widths.len().max(1) as u16;
    // Each column pads one space on either side, and borders take one more.
    let share = (total / columns).saturating_sub(3).max(4);
    for (column, width) in table.column_iter_mut().zip(widths) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
            width.min(share) + 2,
        )));
    }
}
