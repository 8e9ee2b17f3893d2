//! `[tenants.<slug>]`: which HubSpot portals a tenant owns, its credentials (by reference, never
//! inline) and the tenant-level sections it overrides; and each tenant's effective config.
//!
//! A tenant's effective config is the top level (file, environment, flags) with the keys its
//! section sets laid over it: unset keys fall back to the top level, tables merge key by key,
//! lists and values replace. It is resolved once, at load, so every command and every job of
//! a tenant sees the same settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Config, Problem, SECRET_KEYS, Secret, Severity};
use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};

/// One `[tenants.<slug>]` section as written.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    /// A display name; the slug when unset.
    pub name: Option<String>,
    /// The HubSpot portals (hub ids) whose submissions belong to this tenant.
    pub portal_ids: Vec<u64>,
    /// At most this many of the tenant's jobs run at once across the workers.
    pub max_concurrent_jobs: Option<u32>,
    /// Credentials by reference: the variable (`*_env`) or file (`*_file`) that holds each.
    pub webhook_secret_env: Option<String>,
    pub webhook_secret_file: Option<PathBuf>,
    pub hubspot_token_env: Option<String>,
    pub hubspot_token_file: Option<PathBuf>,
    pub gmail_client_secret_env: Option<String>,
    pub gmail_client_secret_file: Option<PathBuf>,
    pub gmail_refresh_token_env: Option<String>,
    pub gmail_refresh_token_file: Option<PathBuf>,
    pub llm_api_key_env: Option<String>,
    pub llm_api_key_file: Option<PathBuf>,
    /// Tenant-level sections this tenant overrides, as written.
    pub connectors: Option<toml::Table>,
    pub dedupe: Option<toml::Table>,
    pub scoring: Option<toml::Table>,
    pub routing: Option<toml::Table>,
    pub templates: Option<toml::Table>,
    pub guard: Option<toml::Table>,
    pub task: Option<toml::Table>,
    pub send: Option<toml::Table>,
    pub hubspot: Option<toml::Table>,
    pub gmail: Option<toml::Table>,
    pub llm: Option<toml::Table>,
    pub privacy: Option<toml::Table>,
    pub retention: Option<toml::Table>,
}

impl TenantSettings {
    /// The display name: `name`, else the slug.
    pub fn display_name<'a>(&'a self, id: &'a TenantId) -> &'a str {
        self.name.as_deref().unwrap_or(id.as_str())
    }

    /// Each credential the tenant may name by reference: its name and its `*_env` and `*_file`.
    fn credential_refs(&self) -> [(&'static str, &Option<String>, &Option<PathBuf>); 5] {
        [
            (
                "webhook_secret",
                &self.webhook_secret_env,
                &self.webhook_secret_file,
            ),
            (
                "hubspot_token",
                &self.hubspot_token_env,
                &self.hubspot_token_file,
            ),
            (
                "gmail_client_secret",
                &self.gmail_client_secret_env,
                &self.gmail_client_secret_file,
            ),
            (
                "gmail_refresh_token",
                &self.gmail_refresh_token_env,
                &self.gmail_refresh_token_file,
            ),
            ("llm_api_key", &self.llm_api_key_env, &self.llm_api_key_file),
        ]
    }

    /// True when the tenant has a webhook secret of its own (its per-tenant URL is open).
    pub fn has_own_webhook_secret(&self) -> bool {
        self.webhook_secret_env.is_some() || self.webhook_secret_file.is_some()
    }
}

impl Config {
    /// True when the config declares tenants (`[tenants.*]`); false means everything is `default`.
    pub fn is_multi_tenant(&self) -> bool {
        !self.tenants.is_empty()
    }

    /// Every tenant of the deployment, in slug order: the declared ones, or `default` alone.
    pub fn tenant_ids(&self) -> Vec<TenantId> {
        if self.tenants.is_empty() {
            vec![TenantId::default_tenant()]
        } else {
            self.tenants.keys().cloned().collect()
        }
    }

    /// The effective config of `tenant`; an undeclared tenant is invalid input (exit 2).
    pub fn for_tenant(&self, tenant: &TenantId) -> Result<&Config> {
        if self.tenants.is_empty() {
            if tenant.is_default() {
                return Ok(self);
            }
            return Err(Error::InvalidInput(format!(
                "unknown tenant {:?}: this deployment declares no tenants (everything is tenant \
                 \"default\")\nhint: declare it as [tenants.{tenant}] in the config file, or leave out --tenant",
                tenant.as_str()
            )));
        }
        self.tenant_configs.get(tenant).ok_or_else(|| {
            Error::InvalidInput(format!(
                "unknown tenant {:?}; the config declares: {}\nhint: pass one of them to --tenant",
                tenant.as_str(),
                self.tenant_list()
            ))
        })
    }

    /// The tenant a submission belongs to by the portal it names (`portalId`, as the payload spells
    /// it). With no tenants declared, this config's tenant (`default`) takes everything; otherwise
    /// the tenant whose `portal_ids` lists the portal, and none for a portal nobody owns or a
    /// submission that names no portal (a Forms API v3 body: use the tenant's own URL for those).
    /// Works on the top level and on any tenant's effective config alike.
    pub fn tenant_for_portal(&self, portal: Option<&str>) -> Option<TenantId> {
        let Some(owners) = &self.portal_owners else {
            return Some(self.tenant.clone());
        };
        let portal: u64 = portal?.trim().parse().ok()?;
        owners.get(&portal).cloned()
    }

    /// Whether a submission that names `portal` may be stored under this config's tenant (the
    /// tenant's own URL, `run --tenant`, `import --tenant`); see [`PortalPolicy::check`].
    pub fn check_portal(&self, portal: Option<&str>) -> std::result::Result<(), String> {
        check_portal_of(&self.tenant, self.portal_owners.as_ref(), portal)
    }

    /// The same rule as a value, for code that has no `Config` (an import's row checks).
    pub fn portal_policy(&self) -> PortalPolicy {
        PortalPolicy {
            tenant: self.tenant.clone(),
            owners: self.portal_owners.clone(),
        }
    }

    /// The tenant that owns a HubSpot portal: with no tenants declared, `default` owns them all.
    pub fn portal_owner(&self, portal_id: u64) -> Option<TenantId> {
        if self.tenants.is_empty() {
            return Some(TenantId::default_tenant());
        }
        self.tenants
            .iter()
            .find(|(_, t)| t.portal_ids.contains(&portal_id))
            .map(|(id, _)| id.clone())
    }

    /// The declared tenant's section; `None` for `default` in a single-tenant deployment.
    pub fn tenant_settings(&self, tenant: &TenantId) -> Option<&TenantSettings> {
        self.tenants.get(tenant)
    }

    /// "acme, globex": for messages.
    pub fn tenant_list(&self) -> String {
        self.tenant_ids()
            .iter()
            .map(TenantId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Builds every declared tenant's effective config from this (fully loaded) top level.
    pub(super) fn resolve_tenants(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
        config_dir: Option<&Path>,
    ) -> Result<()> {
        if self.tenants.is_empty() {
            self.portal_owners = None;
            return Ok(());
        }
        let owners: BTreeMap<u64, TenantId> = self
            .tenants
            .iter()
            .rev()
            .flat_map(|(id, t)| t.portal_ids.iter().map(move |p| (*p, id.clone())))
            .collect();
        self.portal_owners = Some(owners.clone());
        let mut resolved = BTreeMap::new();
        for (id, settings) in &self.tenants {
            let mut tenant = self.overlaid(id, settings)?;
            tenant.portal_owners = Some(owners.clone());
            if let Some(dir) = config_dir {
                tenant.llm.resolve_prompt_paths(dir);
            }
            tenant.apply_secret_refs(id, settings, env);
            resolved.insert(id.clone(), tenant);
        }
        self.tenant_configs = resolved;
        Ok(())
    }

    /// This top level with `settings`' sections laid over it, as tenant `id`.
    fn overlaid(&self, id: &TenantId, settings: &TenantSettings) -> Result<Config> {
        let mut c = self.clone();
        c.tenant = id.clone();
        c.tenants = BTreeMap::new();
        c.tenant_configs = BTreeMap::new();
        let key = |section: &str| format!("tenants.{id}.{section}");
        macro_rules! lay {
            ($field:ident) => {
                if let Some(patch) = &settings.$field {
                    c.$field = overlay(&self.$field, patch, &key(stringify!($field)))?;
                }
            };
        }
        lay!(connectors);
        lay!(dedupe);
        lay!(scoring);
        lay!(routing);
        lay!(templates);
        lay!(guard);
        lay!(task);
        lay!(send);
        lay!(hubspot);
        lay!(gmail);
        lay!(llm);
        lay!(privacy);
        lay!(retention);
        // The JSON round trip of `overlay` cannot carry secrets (they serialise as "***"): the
        // top level's come back here, and the tenant's own ones by reference after this.
        c.hubspot.token = self.hubspot.token.clone();
        c.gmail.client_secret = self.gmail.client_secret.clone();
        c.gmail.refresh_token = self.gmail.refresh_token.clone();
        c.llm.api_key = self.llm.api_key.clone();
        Ok(c)
    }

    /// Reads each credential the tenant names by reference. A variable that is unset or a file
    /// that cannot be read becomes an empty secret, which `validate` refuses (fail closed) with
    /// where it looked: one bad tenant never stops the others' read-only commands.
    fn apply_secret_refs(
        &mut self,
        id: &TenantId,
        s: &TenantSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        for (what, var, file) in s.credential_refs() {
            let Some(secret) = read_secret_ref(id, what, var.as_deref(), file.as_deref(), env)
            else {
                continue;
            };
            let slot = match what {
                "webhook_secret" => {
                    // The app's previous secret is not this tenant's.
                    self.webhook.previous_secret = None;
                    &mut self.webhook.secret
                }
                "hubspot_token" => &mut self.hubspot.token,
                "gmail_client_secret" => &mut self.gmail.client_secret,
                "gmail_refresh_token" => &mut self.gmail.refresh_token,
                // "llm_api_key", the last of `credential_refs`.
                _ => &mut self.llm.api_key,
            };
            *slot = Some(secret);
        }
    }

    /// Problems of every tenant's effective config (keys prefixed `tenants.<slug>.`, those the
    /// top level has already reported left out) and across tenants (a portal owned twice).
    pub(super) fn tenant_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.tenants.is_empty() {
            return problems;
        }
        let top: Vec<(String, String)> = self
            .validate_own()
            .into_iter()
            .map(|p| (p.key, p.message))
            .collect();
        for (id, tenant) in &self.tenant_configs {
            for p in tenant.validate() {
                if !top.contains(&(p.key.clone(), p.message.clone())) {
                    problems.push(Problem {
                        key: format!("tenants.{id}.{}", p.key),
                        ..p
                    });
                }
            }
        }
        let mut owners: BTreeMap<u64, &TenantId> = BTreeMap::new();
        for (id, settings) in &self.tenants {
            for portal in &settings.portal_ids {
                if let Some(first) = owners.insert(*portal, id) {
                    problems.push(Problem {
                        key: format!("tenants.{id}.portal_ids"),
                        severity: Severity::Error,
                        message: format!(
                            "portal {portal} is owned by tenants {first} and {id}; a portal belongs to exactly one tenant"
                        ),
                    });
                }
            }
            for (what, var, file) in settings.credential_refs() {
                if var.is_some() && file.is_some() {
                    problems.push(Problem {
                        key: format!("tenants.{id}.{what}_env"),
                        severity: Severity::Error,
                        message: format!("set {what}_env or {what}_file, not both"),
                    });
                }
            }
        }
        problems
    }
}

/// Which portals' submissions one tenant takes (see [`Config::portal_policy`]); the default takes
/// every portal (a deployment without tenants).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortalPolicy {
    tenant: TenantId,
    owners: Option<BTreeMap<u64, TenantId>>,
}

impl PortalPolicy {
    /// A submission that names no portal may be stored under the tenant; one that names a
    /// portal must name one of the tenant's. The error is the reason, for the operator.
    pub fn check(&self, portal: Option<&str>) -> std::result::Result<(), String> {
        check_portal_of(&self.tenant, self.owners.as_ref(), portal)
    }
}

fn check_portal_of(
    tenant: &TenantId,
    owners: Option<&BTreeMap<u64, TenantId>>,
    portal: Option<&str>,
) -> std::result::Result<(), String> {
    let (Some(owners), Some(portal)) = (owners, portal) else {
        return Ok(());
    };
    let owner = portal
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|p| owners.get(&p));
    match owner {
        Some(owner) if owner == tenant => Ok(()),
        Some(owner) => Err(format!(
            "portal {portal} belongs to tenant {owner}, not {tenant}"
        )),
        None => Err(format!(
            "portal {portal} is not one of tenant {tenant}'s portals (tenants.{tenant}.portal_ids)"
        )),
    }
}

/// A credential named by reference; `None` when the tenant names none.
fn read_secret_ref(
    id: &TenantId,
    what: &str,
    var: Option<&str>,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Secret> {
    if let Some(var) = var {
        return Some(match env(var) {
            Some(v) => Secret::from_source(v, format!("{var} (tenants.{id}.{what}_env)")),
            None => Secret::from_source(
                "",
                format!("{var}, which is not set (tenants.{id}.{what}_env)"),
            ),
        });
    }
    let path = file?;
    Some(match std::fs::read_to_string(path) {
        Ok(v) => Secret::from_source(v, format!("{} (tenants.{id}.{what}_file)", path.display())),
        Err(e) => Secret::from_source(
            "",
            format!(
                "{}, which cannot be read: {e} (tenants.{id}.{what}_file)",
                path.display()
            ),
        ),
    })
}

/// `base` with `patch` laid over it: tables merge key by key, everything else replaces. A secret
/// written inline in a tenant's section is refused: tenants give credentials by reference.
fn overlay<T: Serialize + DeserializeOwned>(base: &T, patch: &toml::Table, key: &str) -> Result<T> {
    if let Some(secret) = patch.keys().find(|k| SECRET_KEYS.contains(&k.as_str())) {
        let section = key.rsplit('.').next().unwrap_or_default();
        return Err(Error::Configuration(format!(
            "{key}.{secret}: a tenant's credentials are never written inline\n\
             hint: name where it is instead: {section}_{secret}_env = \"VARIABLE\" or {section}_{secret}_file = \"PATH\" in the tenant's section"
        )));
    }
    let mut value = serde_json::to_value(base)
        .map_err(|e| Error::Internal(format!("{key}: cannot represent the top level: {e}")))?;
    let patch =
        serde_json::to_value(patch).map_err(|e| Error::Configuration(format!("{key}: {e}")))?;
    merge(&mut value, patch);
    serde_json::from_value(value).map_err(|e| Error::Configuration(format!("{key}: {e}")))
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (k, v) in patch {
                merge(base.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (base, patch) => *base = patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("salesagent.toml");
        std::fs::write(&path, toml).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_with_env(
            &Overrides {
                config_file: Some(path),
                ..Overrides::default()
            },
            &|k| env.get(k).cloned(),
        )
    }

    const TWO: &str = r#"
        [send]
        daily_cap = 50
        sender_allowlist = ["sales@example.com"]
        [routing]
        default_owner_id = "top-owner"
        [tenants.acme]
        name = "Acme Corp"
        portal_ids = [123, 456]
        hubspot_token_env = "ACME_HUBSPOT_TOKEN"
        [tenants.acme.send]
        daily_cap = 7
        [tenants.globex]
        portal_ids = [789]
    "#;

    #[test]
    fn no_tenants_means_default_owns_everything() {
        let c = load("", &[]).unwrap();
        assert!(!c.is_multi_tenant());
        assert_eq!(c.tenant_ids(), vec![TenantId::default_tenant()]);
        assert_eq!(c.portal_owner(42), Some(TenantId::default_tenant()));
        assert!(std::ptr::eq(
            c.for_tenant(&TenantId::default_tenant()).unwrap(),
            &c
        ));
        let acme = TenantId::parse("acme").unwrap();
        assert!(matches!(c.for_tenant(&acme), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn a_tenant_overrides_only_the_keys_it_sets() {
        let c = load(TWO, &[("ACME_HUBSPOT_TOKEN", "acme-token-0123456789")]).unwrap();
        let acme = c.for_tenant(&TenantId::parse("acme").unwrap()).unwrap();
        assert_eq!(acme.tenant.as_str(), "acme");
        assert_eq!(acme.send.daily_cap, 7);
        assert_eq!(
            acme.send.sender_allowlist,
            vec!["sales@example.com".to_string()]
        );
        assert_eq!(
            acme.hubspot.token.as_ref().unwrap().expose(),
            "acme-token-0123456789"
        );
        let globex = c.for_tenant(&TenantId::parse("globex").unwrap()).unwrap();
        assert_eq!(globex.send.daily_cap, 50);
        assert!(globex.hubspot.token.is_none());
        assert_eq!(c.portal_owner(456).unwrap().as_str(), "acme");
        assert_eq!(c.portal_owner(789).unwrap().as_str(), "globex");
        assert_eq!(c.portal_owner(1), None);
        assert!(c.for_tenant(&TenantId::default_tenant()).is_err());
        assert_eq!(c.tenant_list(), "acme, globex");
    }

    #[test]
    fn submissions_are_routed_by_portal_and_tenants_refuse_other_portals() {
        let c = load(TWO, &[("ACME_HUBSPOT_TOKEN", "acme-token-0123456789")]).unwrap();
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(c.tenant_for_portal(Some("456")), Some(acme.clone()));
        assert_eq!(c.tenant_for_portal(Some("1")), None);
        assert_eq!(c.tenant_for_portal(Some("not-a-number")), None);
        assert_eq!(c.tenant_for_portal(None), None, "no portal, no tenant");
        let own = c.for_tenant(&acme).unwrap();
        assert_eq!(
            own.tenant_for_portal(Some("789")).unwrap().as_str(),
            "globex"
        );
        assert!(own.check_portal(Some("123")).is_ok());
        assert!(own.check_portal(None).is_ok());
        let err = own.check_portal(Some("789")).unwrap_err();
        assert_eq!(err, "portal 789 belongs to tenant globex, not acme");
        assert!(own.check_portal(Some("5")).is_err());
        assert_eq!(own.portal_policy().check(Some("789")), Err(err));
        // Without tenants, everything is default's.
        let single = load("", &[]).unwrap();
        assert_eq!(
            single.tenant_for_portal(None),
            Some(TenantId::default_tenant())
        );
        assert!(single.check_portal(Some("5")).is_ok());
        assert!(PortalPolicy::default().check(Some("5")).is_ok());
        assert_eq!(single.mail_dir(), single.data_dir().join("mail"));
        assert_eq!(own.mail_dir(), own.data_dir().join("mail").join("acme"));
    }

    #[test]
    fn an_unset_credential_variable_fails_closed_for_that_tenant() {
        let c = load(TWO, &[]).unwrap();
        let problems = c.validate();
        let p = problems
            .iter()
            .find(|p| p.key == "tenants.acme.hubspot.token")
            .expect("the empty token is reported under the tenant");
        assert_eq!(p.severity, Severity::Error);
        assert!(p.message.contains("ACME_HUBSPOT_TOKEN"), "{}", p.message);
        assert!(c.ensure_valid().is_err());
    }

    #[test]
    fn inline_tenant_secrets_and_shared_portals_are_refused() {
        let inline = "[tenants.acme]\n[tenants.acme.hubspot]\ntoken = \"x\"\n";
        let err = load(inline, &[]).unwrap_err().to_string();
        assert!(err.contains("hubspot_token_env"), "{err}");
        let shared = "[tenants.a]\nportal_ids = [1]\n[tenants.b]\nportal_ids = [1]\n";
        let c = load(shared, &[]).unwrap();
        assert!(
            c.validate()
                .iter()
                .any(|p| p.key == "tenants.b.portal_ids" && p.severity == Severity::Error)
        );
    }

    #[test]
    fn a_bad_slug_is_a_configuration_error() {
        let err = load("[tenants.Acme]\n", &[]).unwrap_err().to_string();
        assert!(err.contains("not a valid slug"), "{err}");
    }

    #[test]
    fn tenant_templates_add_to_the_top_level_ones() {
        let c = load(
            "[templates.top]\nsubject = \"t\"\nbody = \"b\"\n[tenants.acme]\n[tenants.acme.templates.own]\nsubject = \"o\"\nbody = \"b\"\n",
            &[],
        )
        .unwrap();
        let acme = c.for_tenant(&TenantId::parse("acme").unwrap()).unwrap();
        assert!(acme.templates.contains_key("top"));
        assert!(acme.templates.contains_key("own"));
        assert!(acme.templates.contains_key("default"));
        assert!(!c.templates.contains_key("own"));
    }
}
