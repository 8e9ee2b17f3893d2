//! Reads over several tenants: one list merged from every tenant in scope (each row with its
//! tenant, a TENANT column and a `tenant` JSON field), and one id looked up in each tenant.
//! Writes never come here: they act on one tenant (`Context::app`), which refuses to guess.

use std::cmp::Ordering;

use serde::Serialize;

use super::Context;
use crate::app::App;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::{Page, Total};

/// A row and the tenant it belongs to.
pub(crate) struct Tenanted<T> {
    pub tenant: TenantId,
    pub row: T,
}

/// A JSON item with its tenant in front: `{"tenant": "acme", …item's fields}`. The field is left
/// out when the deployment has no tenants declared, so single-tenant output is unchanged.
#[derive(Serialize)]
pub(crate) struct WithTenant<'a, T: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<&'a str>,
    #[serde(flatten)]
    pub item: T,
}

/// What a read over the tenants in scope shows: the rows, and whether to name their tenant.
pub(crate) struct Gathered<T> {
    /// Several tenants are shown together: print a TENANT column.
    pub several: bool,
    /// Tenants are declared: JSON items carry a `tenant` field.
    pub multi_tenant: bool,
    pub page: Page<Tenanted<T>>,
}

impl<T> Gathered<T> {
    /// The headers, with TENANT first when several tenants are shown.
    pub fn headers<'h>(&self, headers: &[&'h str]) -> Vec<&'h str> {
        let mut out = Vec::with_capacity(headers.len() + 1);
        if self.several {
            out.push("TENANT");
        }
        out.extend_from_slice(headers);
        out
    }

    /// A table row, with its tenant first when several tenants are shown.
    pub fn cells(&self, row: &Tenanted<T>, cells: Vec<String>) -> Vec<String> {
        tenant_cells(self.several, &row.tenant, cells)
    }

    /// The JSON item of `row`, with its tenant when tenants are declared.
    pub fn item<'a, I: Serialize>(&self, row: &'a Tenanted<T>, item: I) -> WithTenant<'a, I> {
        WithTenant {
            tenant: self.multi_tenant.then_some(row.tenant.as_str()),
            item,
        }
    }
}

/// `cells` with `tenant` in front when `several` tenants are shown.
pub(crate) fn tenant_cells(several: bool, tenant: &TenantId, cells: Vec<String>) -> Vec<String> {
    if !several {
        return cells;
    }
    let mut out = Vec::with_capacity(cells.len() + 1);
    out.push(tenant.to_string());
    out.extend(cells);
    out
}

/// Every tenant's page of a list (`fetch` runs once per tenant in scope, each with its own
/// store), merged in the list's order (`order`) and cut at `limit`. The total counts the rows
/// of every tenant, so "showing 50 of 1,204" stays true across tenants.
pub(crate) fn gather<T, E: Into<anyhow::Error>>(
    ctx: &Context,
    limit: usize,
    fetch: impl Fn(&App) -> Result<Page<T>, E>,
    order: impl Fn(&T, &T) -> Ordering,
) -> anyhow::Result<Gathered<T>> {
    let Scope {
        several,
        multi_tenant,
        apps,
    } = open_scope(ctx)?;
    let mut rows = Vec::new();
    let mut count = 0u64;
    let mut at_least = false;
    let mut cut = false;
    for app in &apps {
        let page = fetch(app).map_err(Into::into)?;
        match page.total {
            Some(total) => {
                cut = true;
                count += total.count;
                at_least |= total.at_least;
            }
            None => count += page.rows.len() as u64,
        }
        let tenant = app.store.tenant().clone();
        rows.extend(page.rows.into_iter().map(|row| Tenanted {
            tenant: tenant.clone(),
            row,
        }));
    }
    rows.sort_by(|a, b| order(&a.row, &b.row));
    if rows.len() > limit {
        rows.truncate(limit);
        cut = true;
    }
    Ok(Gathered {
        several,
        multi_tenant,
        page: Page {
            total: cut.then_some(Total { count, at_least }),
            rows,
        },
    })
}

/// The tenants a read acts on, opened.
pub(crate) struct Scope {
    /// Several tenants are shown together: a TENANT column.
    pub several: bool,
    /// Tenants are declared: JSON carries a `tenant` field, pages a tenant line.
    pub multi_tenant: bool,
    /// One app per tenant in scope, in slug order.
    pub apps: Vec<App>,
}

pub(crate) fn open_scope(ctx: &Context) -> anyhow::Result<Scope> {
    let config = ctx.config()?;
    let (scope, apps) = ctx.apps_of(&config)?;
    Ok(Scope {
        several: scope.is_several(),
        multi_tenant: config.is_multi_tenant(),
        apps,
    })
}

/// One record found by its id, in the tenant that has it.
pub(crate) struct Found<T> {
    pub app: App,
    pub value: T,
    pub multi_tenant: bool,
}

impl<T> Found<T> {
    /// The tenant, for a `tenant` JSON field (none in a single-tenant deployment).
    pub fn tenant(&self) -> Option<&str> {
        self.multi_tenant.then(|| self.app.store.tenant().as_str())
    }

    /// The `tenant` line a record's page starts with when tenants are declared.
    pub fn tenant_line(&self) -> Option<String> {
        self.tenant().map(|t| format!("tenant      {t}"))
    }

    /// `item` with the tenant in front, for `--json`.
    pub fn json<I: Serialize>(&self, item: I) -> WithTenant<'_, I> {
        WithTenant {
            tenant: self.tenant(),
            item,
        }
    }
}

/// The tenant whose `find` knows this id, for a read of one record (`workflows show ID`):
/// with `--tenant` only that tenant is asked (an id of another tenant is "not found", exactly
/// like one that does not exist); without it every tenant is, and the one that has it answers.
/// An id prefix that several tenants have is ambiguous (exit 2, pass --tenant).
pub(crate) fn find_in_tenants<T>(
    ctx: &Context,
    what: &str,
    id: &str,
    find: impl Fn(&App) -> crate::error::Result<T>,
) -> anyhow::Result<Found<T>> {
    let Scope {
        multi_tenant, apps, ..
    } = open_scope(ctx)?;
    let mut found: Vec<(App, T)> = Vec::new();
    let mut not_found = None;
    for app in apps {
        match find(&app) {
            Ok(value) => found.push((app, value)),
            Err(Error::NotFound(why)) => not_found = Some(Error::NotFound(why)),
            Err(other) => return Err(other.into()),
        }
    }
    match found.len() {
        0 => Err(not_found
            .unwrap_or_else(|| Error::NotFound(format!("no {what} with id {id}")))
            .into()),
        1 => {
            let (app, value) = found.remove(0);
            Ok(Found {
                app,
                value,
                multi_tenant,
            })
        }
        _ => {
            let tenants: Vec<String> = found
                .iter()
                .map(|(app, _)| app.store.tenant().to_string())
                .collect();
            Err(Error::InvalidInput(format!(
                "{what} id {id:?} matches in several tenants ({})\n\
                 hint: pass --tenant SLUG, or give more of the id",
                tenants.join(", ")
            ))
            .into())
        }
    }
}

/// Prints a report that each tenant in scope has one of (stats, queues, mode). `--json`: the
/// report (with `tenant` when tenants are declared), or an array of them when several tenants
/// are shown; text: `human(index, report)` for each, after a `tenant SLUG` heading when several are shown.
pub(crate) fn print_per_tenant<T: Serialize>(
    ctx: &Context,
    several: bool,
    multi_tenant: bool,
    reports: &[(TenantId, T)],
    human: impl Fn(usize, &T) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let p = &ctx.printer;
    if p.json() {
        let items: Vec<WithTenant<'_, &T>> = reports
            .iter()
            .map(|(tenant, item)| WithTenant {
                tenant: multi_tenant.then_some(tenant.as_str()),
                item,
            })
            .collect();
        match items.as_slice() {
            [one] if !several => p.print_json(one)?,
            _ => p.print_json(&items)?,
        }
        return Ok(());
    }
    for (n, (tenant, report)) in reports.iter().enumerate() {
        if several {
            if n > 0 {
                p.line("")?;
            }
            p.line(&format!("tenant {tenant}"))?;
        }
        human(n, report)?;
    }
    Ok(())
}
