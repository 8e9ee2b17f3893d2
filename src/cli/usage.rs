//! `salesagent usage`: what each tenant used per UTC day or month (the metering the store counts
//! with the work itself), with totals, as a table, JSON, or the CSV a billing system imports.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Context;
use crate::domain::time::{now_ms, utc_day};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outfile::{CsvOut, OutputFile, Policy};
use crate::store::{Metric, UsageBucket, UsageCounts, UsageRange, UsageRow};
use crate::views::{UsageReport, usage_totals};

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// From this day on (UTC) to today: a duration (30d, 12w) or a date (2026-11-01)
    /// [default: 30d]
    #[arg(long, value_name = "DURATION|DATE", conflicts_with = "month")]
    pub since: Option<String>,
    /// One calendar month (UTC), e.g. 2026-11
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// One row per tenant and day, or per tenant and month
    #[arg(long, value_enum, default_value_t = By::Day)]
    pub by: By,
    /// table on a terminal; csv is what a billing system imports [default: table, or csv with
    /// --output; json with --json]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write here instead of stdout (never over an existing file without --force)
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Day,
    Month,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// The CSV's leading columns; one column per metric follows, in `Metric::ALL` order.
pub const CSV_LEADING_COLUMNS: [&str; 4] = ["tenant", "period", "period_start", "period_end"];

/// The CSV's totals row's `period` (its tenant is empty).
const TOTAL: &str = "total";

pub fn run(ctx: &Context, args: UsageArgs) -> anyhow::Result<ExitStatus> {
    let range = range_of(args.since.as_deref(), args.month.as_deref(), now_ms())?;
    let bucket = match args.by {
        By::Day => UsageBucket::Day,
        By::Month => UsageBucket::Month,
    };
    let format = match (args.format, ctx.printer.json(), &args.output) {
        (Some(f), _, _) => f,
        (None, true, _) => Format::Json,
        (None, false, Some(_)) => Format::Csv,
        (None, false, None) => Format::Table,
    };
    let (_, apps) = ctx.apps()?;
    let mut rows = Vec::new();
    for app in &apps {
        rows.extend(app.store.usage(&range, bucket)?);
    }
    let totals = usage_totals(&rows);
    let Some(path) = &args.output else {
        let mut stdout = std::io::stdout().lock();
        return match format {
            Format::Table => print_table(ctx, &range, &rows, &totals).map(|()| ExitStatus::Success),
            other => {
                write_report(&mut stdout, other, &range, bucket, &rows, &totals)?;
                Ok(ExitStatus::Success)
            }
        };
    };
    if format == Format::Table {
        return Err(Error::InvalidInput(
            "--output writes csv or json, not a table\nhint: pass --format csv (the default with \
             --output) or --format json"
                .into(),
        )
        .into());
    }
    let database = apps
        .first()
        .map(|a| a.config.db.clone())
        .unwrap_or_default();
    let mut file = OutputFile::create(
        path,
        Policy {
            force: args.force,
            database: &database,
        },
    )?;
    write_report(&mut file, format, &range, bucket, &rows, &totals)?;
    file.commit()?;
    ctx.printer.status(&format!(
        "wrote {} of usage to {}",
        super::count(rows.len() as u64, "row"),
        path.display()
    ));
    Ok(ExitStatus::Success)
}

/// The days `--since` or `--month` name (default: the last 30 days), both inclusive, UTC.
fn range_of(
    since: Option<&str>,
    month: Option<&str>,
    now: i64,
) -> crate::error::Result<UsageRange> {
    if let Some(month) = month {
        return UsageRange::month(month).map_err(|e| {
            Error::InvalidInput(format!(
                "--month {e}\nhint: pass the month as YEAR-MONTH, e.g. --month {}",
                &utc_day(now)[..7]
            ))
        });
    }
    UsageRange::since(since.unwrap_or("30d"), now).map_err(|e| {
        Error::InvalidInput(format!(
            "--since {e}\nhint: --since 30d for the last 30 days, or --month 2026-11 for a \
             calendar month"
        ))
    })
}

fn write_report(
    out: &mut dyn Write,
    format: Format,
    range: &UsageRange,
    bucket: UsageBucket,
    rows: &[UsageRow],
    totals: &UsageCounts,
) -> anyhow::Result<()> {
    match format {
        Format::Csv => write_csv(out, range, rows, totals),
        Format::Json | Format::Table => {
            let report = UsageReport::new(range, bucket, rows, now_ms());
            serde_json::to_writer(&mut *out, &report)?;
            out.write_all(b"\n")?;
            Ok(())
        }
    }
}

/// `tenant,period,period_start,period_end,<one column per metric>`: one row per tenant and day
/// or month, then the totals row (empty tenant, period `total`). Dates are ISO 8601, UTC.
fn write_csv(
    out: &mut dyn Write,
    range: &UsageRange,
    rows: &[UsageRow],
    totals: &UsageCounts,
) -> anyhow::Result<()> {
    let mut w = CsvOut::new(out);
    w.row(
        CSV_LEADING_COLUMNS
            .iter()
            .copied()
            .chain(Metric::ALL.iter().map(|m| m.as_str())),
    )?;
    let line = |tenant: &str, period: &str, first: &str, last: &str, counts: &UsageCounts| {
        [tenant, period, first, last]
            .into_iter()
            .map(str::to_string)
            .chain(counts.iter().map(|(_, n)| n.to_string()))
            .collect::<Vec<_>>()
    };
    for r in rows {
        w.row(line(
            &r.tenant,
            &r.period,
            &r.first_day,
            &r.last_day,
            &r.counts,
        ))?;
    }
    w.row(line("", TOTAL, &range.first_day, &range.last_day, totals))?;
    w.into_inner()?;
    Ok(())
}

fn print_table(
    ctx: &Context,
    range: &UsageRange,
    rows: &[UsageRow],
    totals: &UsageCounts,
) -> anyhow::Result<()> {
    let p = &ctx.printer;
    let mut header = vec!["TENANT", "PERIOD"];
    header.extend(Metric::ALL.iter().map(|m| column_title(*m)));
    let mut table = p.table(&header);
    for r in rows {
        let mut cells = vec![r.tenant.to_string(), r.period.clone()];
        cells.extend(r.counts.iter().map(|(_, n)| super::thousands(n)));
        table.add_row(cells);
    }
    let mut cells = vec![
        "TOTAL".to_string(),
        format!("{}..{}", range.first_day, range.last_day),
    ];
    cells.extend(totals.iter().map(|(_, n)| super::thousands(n)));
    table.add_row(cells);
    p.print_table(&table)?;
    Ok(())
}

/// Short table headings (the CSV and JSON use the metric names themselves).
fn column_title(metric: Metric) -> &'static str {
    match metric {
        Metric::SubmissionsAccepted => "ACCEPTED",
        Metric::Duplicates => "DUPLICATES",
        Metric::WorkflowsCompleted => "COMPLETED",
        Metric::WorkflowsFailed => "FAILED",
        Metric::DraftsCreated => "DRAFTS",
        Metric::DraftsApproved => "APPROVED",
        Metric::EmailsSent => "SENT",
        Metric::LlmPromptTokens => "PROMPT TOKENS",
        Metric::LlmCompletionTokens => "COMPLETION TOKENS",
        Metric::CrmCalls => "CRM CALLS",
        Metric::MailboxCalls => "MAILBOX CALLS",
        Metric::ImportRows => "IMPORT ROWS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_whole_utc_days() {
        let now = 1_796_083_199_000; // 2026-11-30T23:59:59Z
        let r = range_of(None, None, now).unwrap();
        assert_eq!(
            (r.first_day.as_str(), r.last_day.as_str()),
            ("2026-10-31", "2026-11-30")
        );
        let m = range_of(None, Some("2026-02"), now).unwrap();
        assert_eq!(
            (m.first_day.as_str(), m.last_day.as_str()),
            ("2026-02-01", "2026-02-28")
        );
        let d = range_of(Some("2026-11-15"), None, now).unwrap();
        assert_eq!(d.first_day, "2026-11-15");
        for (since, month) in [
            (Some("soon"), None),
            (None, Some("2026-13")),
            (Some("2027-01-01"), None),
        ] {
            let e = range_of(since, month, now).unwrap_err();
            assert!(matches!(e, Error::InvalidInput(_)), "{e}");
            assert!(e.to_string().contains("\nhint: "), "{e}");
        }
    }
}
