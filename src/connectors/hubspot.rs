//! HubSpot CRM v3 as a `Crm`: contacts by email (409 "Existing ID" races resolved), companies by
//! domain, follow-up tasks associated with the contact (type 204) and found again by the workflow
//! reference in their body, and closed (COMPLETED) when their draft is rejected. Wire DTOs stay
//! in this file; every call goes through `http`.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::{ApiError, Body, Call, HttpClient, RateLimiter, encode};
use super::{Company, Contact, Crm, CrmHistory, NewTask, Task};
use crate::config::{HttpConfig, HubspotConfig};
use crate::domain::lead::Lead;
use crate::error::{ConnectorError, ErrorClass, Result};

const SERVICE: &str = "hubspot";
const CONTACT_PROPERTIES: &str = "email,firstname,lastname,company,jobtitle,phone";
const TASK_PROPERTIES: [&str; 5] = [
    "hs_task_subject",
    "hs_task_body",
    "hs_task_status",
    "hs_timestamp",
    "hs_task_priority",
];
/// HubSpot-defined association types.
const TASK_TO_CONTACT: u32 = 204;
const COMPANY_TO_CONTACT: u32 = 280;

pub struct HubSpot {
    http: HttpClient,
    token: String,
    search: RateLimiter,
    /// Search is eventually consistent: a lookup after a lost response searches again after
    /// these waits before it concludes the task does not exist.
    settle: [Duration; 2],
}

/// HubSpot error bodies: `{status, message, correlationId, category, policyName?, errors[]}`.
pub fn describe(status: u16, body: &str) -> ApiError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut message = v
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| body.chars().take(200).collect());
    if let Some(c) = v.get("category").and_then(Value::as_str) {
        message = format!("{c}: {message}");
    }
    if let Some(id) = v.get("correlationId").and_then(Value::as_str) {
        message = format!("{message} (correlationId {id})");
    }
    let policy = v.get("policyName").and_then(Value::as_str).unwrap_or("");
    if status == 401 {
        message = format!("token rejected: check SALESAGENT_HUBSPOT_TOKEN ({message})");
    }
    ApiError {
        message,
        daily_limit: status == 429 && policy.eq_ignore_ascii_case("DAILY"),
    }
}

fn err(class: ErrorClass, message: impl Into<String>) -> ConnectorError {
    ConnectorError::new(SERVICE, class, message)
}

fn prop<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object
        .get("properties")
        .and_then(|p| p.get(name))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn object_id(object: &Value) -> Result<String> {
    match object.get("id") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(err(ErrorClass::Transient, "the response has no object id").into()),
    }
}

fn contact_from(object: &Value, created: bool) -> Result<Contact> {
    let s = |n: &str| prop(object, n).map(str::to_string);
    Ok(Contact {
        id: object_id(object)?,
        email: s("email").unwrap_or_default(),
        first_name: s("firstname"),
        last_name: s("lastname"),
        company: s("company"),
        job_title: s("jobtitle"),
        phone: s("phone"),
        created,
    })
}

/// `hs_timestamp` is epoch milliseconds or an ISO 8601 date-time.
fn timestamp_ms(text: Option<&str>) -> i64 {
    let Some(text) = text else { return 0 };
    text.parse::<i64>().ok().unwrap_or_else(|| {
        text.parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
    })
}

fn task_from(object: &Value, contact_id: &str) -> Result<Task> {
    Ok(Task {
        id: object_id(object)?,
        contact_id: contact_id.to_string(),
        subject: prop(object, "hs_task_subject").unwrap_or("").to_string(),
        status: prop(object, "hs_task_status").unwrap_or("").to_string(),
        due_at: timestamp_ms(prop(object, "hs_timestamp")),
    })
}

/// The id in a 409 message such as "Contact already exists. Existing ID: 12345".
pub fn existing_id(message: &str) -> Option<String> {
    let rest = &message[message.find("Existing ID:")? + "Existing ID:".len()..];
    let id: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

impl HubSpot {
    pub fn new(config: &HubspotConfig, http: &HttpConfig) -> Result<HubSpot> {
        let token = config
            .token
            .as_ref()
            .map(|t| t.expose().to_string())
            .ok_or_else(|| {
                err(
                    ErrorClass::Configuration,
                    "no token: set SALESAGENT_HUBSPOT_TOKEN",
                )
            })?;
        let client = HttpClient::new(SERVICE, &config.base_url, http, describe)?
            .with_limiter(RateLimiter::new(
                config.requests_per_10s,
                Duration::from_secs(10),
            ))
            .with_secrets([token.clone()]);
        Ok(HubSpot {
            http: client,
            token,
            search: RateLimiter::new(config.searches_per_second, Duration::from_secs(1)),
            settle: [
                Duration::from_millis(http.retry_base_ms * 2),
                Duration::from_millis(http.retry_base_ms * 4),
            ],
        })
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn get(&self, path: String, accept: &[u16]) -> Result<Option<Value>> {
        let reply = self
            .http
            .send(&Call::get(path).bearer(&self.token).accept(accept))?;
        if reply.status == 404 {
            return Ok(None);
        }
        Ok(Some(reply.json(SERVICE)?))
    }

    fn search(&self, object: &str, body: Value) -> Result<Vec<Value>> {
        let call = Call::post(format!("/crm/v3/objects/{object}/search"), body)
            .bearer(&self.token)
            .idempotent(true)
            .limiter(&self.search);
        let v = self.http.send(&call)?.json(SERVICE)?;
        Ok(v.get("results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    fn contact_tasks(&self, contact_id: &str) -> Result<Vec<Value>> {
        self.search(
            "tasks",
            json!({
                "filterGroups": [{"filters": [
                    {"propertyName": "associations.contact", "operator": "EQ", "value": contact_id}
                ]}],
                "properties": TASK_PROPERTIES,
                "limit": 100,
            }),
        )
    }

    /// One cheap read that proves the token works (for `config check --live`).
    pub fn check(&self) -> Result<()> {
        self.get("/crm/v3/objects/contacts?limit=1".into(), &[])?;
        Ok(())
    }
}

impl Crm for HubSpot {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn find_or_create_contact(&self, lead: &Lead) -> Result<Contact> {
        let email = lead
            .email
            .as_deref()
            .ok_or_else(|| err(ErrorClass::InvalidInput, "the lead has no email"))?;
        let path = format!(
            "/crm/v3/objects/contacts/{}?idProperty=email&properties={CONTACT_PROPERTIES}",
            encode(email)
        );
        if let Some(found) = self.get(path, &[404])? {
            return contact_from(&found, false);
        }
        let mut properties = serde_json::Map::new();
        properties.insert("email".into(), json!(email));
        for (key, value) in [
            ("firstname", &lead.first_name),
            ("lastname", &lead.last_name),
            ("company", &lead.company),
            ("jobtitle", &lead.job_title),
            ("phone", &lead.phone),
        ] {
            if let Some(v) = value {
                properties.insert(key.into(), json!(v));
            }
        }
        // A repeat after a lost response gets 409 with the id: creating is safe to repeat.
        let call = Call::post(
            "/crm/v3/objects/contacts",
            json!({ "properties": properties }),
        )
        .bearer(&self.token)
        .accept(&[409])
        .idempotent(true);
        let reply = self.http.send(&call)?;
        if reply.status == 409 {
            let message = describe(409, &reply.body).message;
            let id = existing_id(&message).ok_or_else(|| {
                err(
                    ErrorClass::Recoverable,
                    format!("contact exists but the conflict names no id: {message}"),
                )
            })?;
            tracing::info!(contact_id = %id, "contact already existed (409)");
            return match self.get_contact(&id)? {
                Some(c) => Ok(c),
                None => Err(err(
                    ErrorClass::Transient,
                    format!("contact {id} named by the conflict is not readable yet"),
                )
                .into()),
            };
        }
        contact_from(&reply.json(SERVICE)?, true)
    }

    fn get_contact(&self, id: &str) -> Result<Option<Contact>> {
        let path = format!(
            "/crm/v3/objects/contacts/{}?properties={CONTACT_PROPERTIES}",
            encode(id)
        );
        self.get(path, &[404])?
            .map(|v| contact_from(&v, false))
            .transpose()
    }

    fn find_or_create_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: &str,
    ) -> Result<Company> {
        let found = self.search(
            "companies",
            json!({
                "filterGroups": [{"filters": [
                    {"propertyName": "domain", "operator": "EQ", "value": domain}
                ]}],
                "properties": ["domain", "name"],
                "limit": 1,
            }),
        )?;
        if let Some(company) = found.first() {
            let id = object_id(company)?;
            let path = format!(
                "/crm/v4/objects/contacts/{}/associations/default/companies/{}",
                encode(contact_id),
                encode(&id)
            );
            let call = Call::new(reqwest::Method::PUT, path, super::http::Body::None, true)
                .bearer(&self.token);
            self.http.send(&call)?;
            return Ok(Company {
                id,
                domain: domain.to_string(),
                name: prop(company, "name").map(str::to_string),
                created: false,
            });
        }
        let mut properties = json!({ "domain": domain });
        if let Some(n) = name {
            properties["name"] = json!(n);
        }
        let call = Call::post(
            "/crm/v3/objects/companies",
            json!({
                "properties": properties,
                "associations": [{
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": COMPANY_TO_CONTACT}]
                }]
            }),
        )
        .bearer(&self.token);
        let created = self.http.send(&call)?.json(SERVICE)?;
        Ok(Company {
            id: object_id(&created)?,
            domain: domain.to_string(),
            name: name.map(str::to_string),
            created: true,
        })
    }

    fn history(&self, contact_id: &str) -> Result<CrmHistory> {
        let tasks = self.contact_tasks(contact_id)?;
        let open = tasks
            .iter()
            .filter(|t| prop(t, "hs_task_status") != Some("COMPLETED"))
            .count();
        let last = tasks
            .iter()
            .map(|t| timestamp_ms(prop(t, "hs_timestamp")))
            .filter(|ms| *ms > 0)
            .max();
        Ok(CrmHistory {
            open_tasks: open as u32,
            total_tasks: tasks.len() as u32,
            last_activity_at: last,
        })
    }

    fn find_task(&self, reference: &str, contact_id: &str) -> Result<Option<Task>> {
        // Only called on a retry, where a task created moments ago may not be indexed yet.
        for wait in std::iter::once(Duration::ZERO).chain(self.settle) {
            std::thread::sleep(wait);
            let tasks = self.contact_tasks(contact_id)?;
            if let Some(t) = tasks
                .iter()
                .find(|t| prop(t, "hs_task_body").is_some_and(|b| b.contains(reference)))
            {
                return task_from(t, contact_id).map(Some);
            }
        }
        Ok(None)
    }

    fn create_task(&self, task: &NewTask) -> Result<Task> {
        let mut properties = json!({
            "hs_timestamp": task.due_at.to_string(),
            "hs_task_subject": task.subject,
            "hs_task_body": task.body,
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": task.priority,
            "hs_task_type": "EMAIL",
        });
        if let Some(owner) = &task.owner_id {
            properties["hubspot_owner_id"] = json!(owner);
        }
        let call = Call::post(
            "/crm/v3/objects/tasks",
            json!({
                "properties": properties,
                "associations": [{
                    "to": {"id": task.contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}]
                }]
            }),
        )
        .bearer(&self.token);
        let created = self.http.send(&call)?.json(SERVICE)?;
        let mut out = task_from(&created, &task.contact_id)?;
        if out.due_at == 0 {
            out.due_at = task.due_at;
        }
        Ok(out)
    }

    fn get_task(&self, id: &str) -> Result<Option<Task>> {
        let path = format!(
            "/crm/v3/objects/tasks/{}?properties={}&associations=contacts",
            encode(id),
            TASK_PROPERTIES.join(",")
        );
        let Some(v) = self.get(path, &[404])? else {
            return Ok(None);
        };
        let contact_id = v
            .pointer("/associations/contacts/results/0/id")
            .and_then(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| Some(x.to_string()))
            })
            .unwrap_or_default();
        task_from(&v, &contact_id).map(Some)
    }

    fn close_task(&self, id: &str, note: &str) -> Result<()> {
        let path = format!("/crm/v3/objects/tasks/{}", encode(id));
        let Some(task) = self.get(
            format!("{path}?properties=hs_task_body,hs_task_status"),
            &[404],
        )?
        else {
            return Err(crate::error::Error::NotFound(format!(
                "HubSpot has no task {id}"
            )));
        };
        let body = prop(&task, "hs_task_body").unwrap_or("");
        if prop(&task, "hs_task_status") == Some("COMPLETED") && body.contains(note) {
            return Ok(());
        }
        let body = if body.contains(note) {
            body.to_string()
        } else {
            format!("{body}\n\n{note}")
        };
        // Setting absolute values: a repeat after a lost answer changes nothing.
        let call = Call::new(
            reqwest::Method::PATCH,
            path,
            Body::Json(json!({ "properties": {
                "hs_task_status": "COMPLETED",
                "hs_task_body": body,
            }})),
            true,
        )
        .bearer(&self.token);
        self.http.send(&call)?;
        Ok(())
    }

    fn find_contact_id(&self, email: &str) -> Result<Option<String>> {
        let path = format!(
            "/crm/v3/objects/contacts/{}?idProperty=email&properties=email",
            encode(email)
        );
        self.get(path, &[404])?.map(|v| object_id(&v)).transpose()
    }

    fn erase_contact(&self, id: &str) -> Result<()> {
        // HubSpot answers 204; a contact already deleted is 404, which is what we want.
        let call = Call::post(
            "/crm/v3/objects/contacts/gdpr-delete",
            json!({ "objectId": id }),
        )
        .bearer(&self.token)
        .accept(&[404])
        .idempotent(true);
        self.http.send(&call)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_messages_name_the_existing_contact() {
        assert_eq!(
            existing_id("Contact already exists. Existing ID: 12345").as_deref(),
            Some("12345")
        );
        assert_eq!(existing_id("Contact already exists."), None);
    }

    #[test]
    fn error_bodies_keep_the_correlation_id_and_spot_the_daily_limit() {
        let body = r#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee-1","policyName":"DAILY","category":"RATE_LIMITS"}"#;
        let api = describe(429, body);
        assert!(api.daily_limit);
        assert!(api.message.contains("c0ffee-1"), "{}", api.message);
        let secondly = body.replace("DAILY", "TEN_SECONDLY_ROLLING");
        assert!(!describe(429, &secondly).daily_limit);
        assert!(
            describe(401, "{}")
                .message
                .starts_with("token rejected: check SALESAGENT_HUBSPOT_TOKEN")
        );
    }

    #[test]
    fn timestamps_are_millis_or_iso() {
        assert_eq!(timestamp_ms(Some("1764412800000")), 1_764_412_800_000);
        assert_eq!(
            timestamp_ms(Some("2025-11-29T10:40:00Z")),
            1_764_412_800_000
        );
        assert_eq!(timestamp_ms(None), 0);
    }
}
