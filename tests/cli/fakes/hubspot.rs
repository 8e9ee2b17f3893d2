//! A fake HubSpot CRM v3: contacts (unique email, 409 "Existing ID"), companies with search,
//! GDPR delete, tasks that must carry `hs_timestamp` and an association (updated by PATCH with string
//! properties and a valid `hs_task_status`), v4 default associations, bearer auth, and HubSpot-shaped error bodies with a `correlationId`.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{Fault, Recorder, Reply, Request, Server, serve};

#[derive(Clone, Debug)]
pub struct Object {
    pub id: String,
    pub properties: serde_json::Map<String, Value>,
    /// (other object type, other id, association type id)
    pub associations: Vec<(String, String, u64)>,
}

#[derive(Default)]
pub struct State {
    pub contacts: Vec<Object>,
    pub companies: Vec<Object>,
    pub tasks: Vec<Object>,
    next_id: u64,
}

#[derive(Clone)]
pub struct FakeHubSpot {
    pub base_url: String,
    pub token: String,
    pub recorder: Recorder,
    pub state: Arc<Mutex<State>>,
}

fn error(status: u16, category: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({
            "status": "error",
            "message": message,
            "correlationId": "corr-0000-fake",
            "category": category,
        }),
    )
}

fn object_json(o: &Object) -> Value {
    json!({
        "id": o.id,
        "properties": o.properties,
        "createdAt": "2026-11-29T10:00:00Z",
        "updatedAt": "2026-11-29T10:00:00Z",
        "archived": false,
    })
}

impl FakeHubSpot {
    pub fn start(token: &str) -> FakeHubSpot {
        let recorder = Recorder::default();
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..Default::default()
        }));
        let fake = FakeHubSpot {
            base_url: String::new(),
            token: token.to_string(),
            recorder: recorder.clone(),
            state: state.clone(),
        };
        let handler_fake = fake.clone();
        let Server { base_url } = serve(Arc::new(move |req: &Request| {
            handler_fake
                .recorder
                .dispatch(req, |req| handler_fake.handle(req))
        }));
        FakeHubSpot { base_url, ..fake }
    }

    pub fn inject(&self, route: &str, times: usize, fault: Fault) {
        self.recorder.inject(route, times, fault);
    }

    pub fn contacts(&self) -> Vec<Object> {
        self.state.lock().unwrap().contacts.clone()
    }
    pub fn companies(&self) -> Vec<Object> {
        self.state.lock().unwrap().companies.clone()
    }
    pub fn tasks(&self) -> Vec<Object> {
        self.state.lock().unwrap().tasks.clone()
    }

    /// Adds a contact as if it had been created in HubSpot earlier.
    pub fn seed_contact(&self, email: &str) -> String {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id.to_string();
        let mut properties = serde_json::Map::new();
        properties.insert("email".into(), json!(email));
        s.contacts.push(Object {
            id: id.clone(),
            properties,
            associations: vec![],
        });
        id
    }

    fn handle(&self, req: &Request) -> Reply {
        if req.header("authorization") != Some(&format!("Bearer {}", self.token)) {
            return error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            );
        }
        let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        let mut s = self.state.lock().unwrap();
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["crm", "v3", "objects", "contacts"]) => {
                let results: Vec<Value> = s.contacts.iter().take(1).map(object_json).collect();
                Reply::Json(200, json!({ "results": results }))
            }
            ("GET", ["crm", "v3", "objects", "contacts", key]) => {
                let key = super::decode(key);
                let by_email = req.query_param("idProperty").as_deref() == Some("email");
                let found = s.contacts.iter().find(|c| {
                    if by_email {
                        c.properties.get("email").and_then(Value::as_str) == Some(key.as_str())
                    } else {
                        c.id == key
                    }
                });
                match found {
                    Some(c) => Reply::Json(200, object_json(c)),
                    None => error(404, "OBJECT_NOT_FOUND", "resource not found"),
                }
            }
            // GDPR delete: the contact goes for good (204); an unknown one is 404.
            ("POST", ["crm", "v3", "objects", "contacts", "gdpr-delete"]) => {
                let body = req.json();
                let Some(id) = body.get("objectId").and_then(Value::as_str) else {
                    return error(400, "VALIDATION_ERROR", "objectId is required");
                };
                let by_email = body.get("idProperty").and_then(Value::as_str) == Some("email");
                let before = s.contacts.len();
                s.contacts.retain(|c| {
                    if by_email {
                        c.properties.get("email").and_then(Value::as_str) != Some(id)
                    } else {
                        c.id != id
                    }
                });
                if s.contacts.len() == before {
                    return error(404, "OBJECT_NOT_FOUND", "resource not found");
                }
                Reply::Raw(204, vec![], String::new())
            }
            ("POST", ["crm", "v3", "objects", "contacts"]) => {
                let body = req.json();
                let Some(props) = body.get("properties").and_then(Value::as_object) else {
                    return error(400, "VALIDATION_ERROR", "Invalid input JSON: properties");
                };
                if props.values().any(|v| !v.is_string()) {
                    return error(400, "VALIDATION_ERROR", "Property values must be strings");
                }
                let Some(email) = props.get("email").and_then(Value::as_str) else {
                    return error(400, "VALIDATION_ERROR", "email is required");
                };
                if let Some(existing) = s
                    .contacts
                    .iter()
                    .find(|c| c.properties.get("email").and_then(Value::as_str) == Some(email))
                {
                    return error(
                        409,
                        "CONFLICT",
                        &format!("Contact already exists. Existing ID: {}", existing.id),
                    );
                }
                s.next_id += 1;
                let o = Object {
                    id: s.next_id.to_string(),
                    properties: props.clone(),
                    associations: vec![],
                };
                s.contacts.push(o.clone());
                Reply::Json(201, object_json(&o))
            }
            ("POST", ["crm", "v3", "objects", "companies", "search"]) => {
                let body = req.json();
                let domain = body
                    .pointer("/filterGroups/0/filters/0/value")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let results: Vec<Value> = s
                    .companies
                    .iter()
                    .filter(|c| c.properties.get("domain").and_then(Value::as_str) == Some(domain))
                    .map(object_json)
                    .collect();
                Reply::Json(200, json!({ "total": results.len(), "results": results }))
            }
            ("POST", ["crm", "v3", "objects", "companies"]) => {
                match new_object(&req.json(), &mut s, &[]) {
                    Ok(o) => {
                        s.companies.push(o.clone());
                        Reply::Json(201, object_json(&o))
                    }
                    Err(reply) => reply,
                }
            }
            (
                "PUT",
                [
                    "crm",
                    "v4",
                    "objects",
                    "contacts",
                    contact,
                    "associations",
                    "default",
                    "companies",
                    company,
                ],
            ) => {
                let (contact, company) = (contact.to_string(), company.to_string());
                if !s.contacts.iter().any(|c| c.id == contact) {
                    return error(404, "OBJECT_NOT_FOUND", "contact not found");
                }
                match s.companies.iter_mut().find(|c| c.id == company) {
                    Some(c) => {
                        c.associations
                            .push(("contacts".into(), contact.clone(), 280));
                        Reply::Json(200, json!({"status": "COMPLETE", "results": []}))
                    }
                    None => error(404, "OBJECT_NOT_FOUND", "company not found"),
                }
            }
            ("POST", ["crm", "v3", "objects", "tasks"]) => {
                match new_object(&req.json(), &mut s, &["hs_timestamp"]) {
                    Ok(o) => {
                        s.tasks.push(o.clone());
                        Reply::Json(201, object_json(&o))
                    }
                    Err(reply) => reply,
                }
            }
            ("POST", ["crm", "v3", "objects", "tasks", "search"]) => {
                let body = req.json();
                let filter = body.pointer("/filterGroups/0/filters/0");
                let contact = filter
                    .filter(|f| f["propertyName"] == "associations.contact")
                    .and_then(|f| f["value"].as_str())
                    .unwrap_or("");
                let results: Vec<Value> = s
                    .tasks
                    .iter()
                    .filter(|t| t.associations.iter().any(|(_, id, _)| id == contact))
                    .map(object_json)
                    .collect();
                Reply::Json(200, json!({ "total": results.len(), "results": results }))
            }
            ("PATCH", ["crm", "v3", "objects", "tasks", id]) => {
                let body = req.json();
                let Some(props) = body.get("properties").and_then(Value::as_object) else {
                    return error(400, "VALIDATION_ERROR", "Invalid input JSON: properties");
                };
                if props.values().any(|v| !v.is_string()) {
                    return error(400, "VALIDATION_ERROR", "Property values must be strings");
                }
                const STATUSES: [&str; 5] = [
                    "NOT_STARTED",
                    "IN_PROGRESS",
                    "WAITING",
                    "COMPLETED",
                    "DEFERRED",
                ];
                if let Some(status) = props.get("hs_task_status").and_then(Value::as_str)
                    && !STATUSES.contains(&status)
                {
                    return error(
                        400,
                        "VALIDATION_ERROR",
                        &format!(
                            "Property values were not valid: {status} is not a valid hs_task_status"
                        ),
                    );
                }
                match s.tasks.iter_mut().find(|t| t.id == *id) {
                    Some(t) => {
                        for (k, v) in props {
                            t.properties.insert(k.clone(), v.clone());
                        }
                        Reply::Json(200, object_json(t))
                    }
                    None => error(404, "OBJECT_NOT_FOUND", "resource not found"),
                }
            }
            ("GET", ["crm", "v3", "objects", "tasks", id]) => {
                match s.tasks.iter().find(|t| t.id == *id) {
                    Some(t) => {
                        let mut v = object_json(t);
                        let contacts: Vec<Value> = t
                            .associations
                            .iter()
                            .map(|(_, id, ty)| json!({"id": id, "type": ty}))
                            .collect();
                        v["associations"] = json!({"contacts": {"results": contacts}});
                        Reply::Json(200, v)
                    }
                    None => error(404, "OBJECT_NOT_FOUND", "resource not found"),
                }
            }
            _ => error(404, "NOT_FOUND", &format!("no route {}", req.route())),
        }
    }
}

/// The `associations` of a create request, each to an existing contact.
/// The object a create request makes, as HubSpot validates it: `properties` present, each of
/// `required` a string property, associations pointing at existing objects.
fn new_object(body: &Value, s: &mut State, required: &[&str]) -> Result<Object, Reply> {
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return Err(error(
            400,
            "VALIDATION_ERROR",
            "Invalid input JSON: properties",
        ));
    };
    for name in required {
        if props.get(*name).and_then(Value::as_str).is_none() {
            return Err(error(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: {name} is required"),
            ));
        }
    }
    let associations = associations(body, s)?;
    s.next_id += 1;
    Ok(Object {
        id: s.next_id.to_string(),
        properties: props.clone(),
        associations,
    })
}

fn associations(body: &Value, s: &State) -> Result<Vec<(String, String, u64)>, Reply> {
    let mut out = vec![];
    for a in body
        .get("associations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let to = a.pointer("/to/id").and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        });
        let ty = a
            .pointer("/types/0/associationTypeId")
            .and_then(Value::as_u64);
        let category = a
            .pointer("/types/0/associationCategory")
            .and_then(Value::as_str);
        let (Some(to), Some(ty), Some("HUBSPOT_DEFINED")) = (to, ty, category) else {
            return Err(error(400, "VALIDATION_ERROR", "invalid association"));
        };
        if !s.contacts.iter().any(|c| c.id == to) {
            return Err(error(
                400,
                "VALIDATION_ERROR",
                &format!("association target {to} does not exist"),
            ));
        }
        out.push(("contacts".to_string(), to, ty));
    }
    Ok(out)
}
