//! The header of an import file: which column feeds which lead field (aliases, `--map`,
//! `--form-id`), refused with "expected vs found" before any row is read. Pure: no I/O.

use crate::domain::lead::LeadField;
use crate::error::Error;

/// What the header of a well-formed file looks like, for error messages.
pub const EXPECTED: &str = "email, firstName, lastName, company, formId";

/// Columns `import errors --format csv` appends; ignored when such a file is imported again.
pub const ERROR_COLUMNS: [&str; 4] = [
    "error_row",
    "error_column",
    "error_reason",
    "error_extra_fields",
];

/// What one column of the file becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Field(LeadField),
    FormId,
    /// Kept as a custom field under the column's name.
    Custom(String),
    Ignore,
}

/// The columns of a file and their roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub header: Vec<String>,
    pub roles: Vec<Role>,
    /// `--form-id`: for files without a formId column (or rows with it empty).
    pub default_form_id: Option<String>,
}

fn key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_form_id(name: &str) -> bool {
    matches!(key(name).as_str(), "formid" | "form" | "formguid")
}

/// A column that names the row's HubSpot portal (`portalId`, `portal_id`, `Hub ID`…): kept as a
/// custom field as any other column, and checked against the importing tenant's portals.
pub fn is_portal_id(name: &str) -> bool {
    matches!(key(name).as_str(), "portalid" | "hubid")
}

/// Parses a `--map` field name.
fn mapped_role(column: &str, field: &str) -> Result<Role, String> {
    Ok(match key(field).as_str() {
        "email" => Role::Field(LeadField::Email),
        "firstname" => Role::Field(LeadField::FirstName),
        "lastname" => Role::Field(LeadField::LastName),
        "fullname" | "name" => Role::Field(LeadField::FullName),
        "company" => Role::Field(LeadField::Company),
        "jobtitle" => Role::Field(LeadField::JobTitle),
        "phone" => Role::Field(LeadField::Phone),
        "message" => Role::Field(LeadField::Message),
        "formid" => Role::FormId,
        "custom" => Role::Custom(column.to_string()),
        "ignore" => Role::Ignore,
        _ => {
            return Err(format!(
                "--map {column}={field}: unknown field {field:?}; use one of email, first_name, \
                 last_name, full_name, company, job_title, phone, message, form_id, custom, ignore"
            ));
        }
    })
}

fn field_name(role: &Role) -> &'static str {
    match role {
        Role::Field(LeadField::Email) => "email",
        Role::Field(LeadField::FirstName) => "first name",
        Role::Field(LeadField::LastName) => "last name",
        Role::Field(LeadField::FullName) => "full name",
        Role::Field(LeadField::Company) => "company",
        Role::Field(LeadField::JobTitle) => "job title",
        Role::Field(LeadField::Phone) => "phone",
        Role::Field(LeadField::Message) => "message",
        Role::FormId => "form id",
        Role::Custom(_) => "custom",
        Role::Ignore => "ignore",
    }
}

/// Splits `COLUMN=field` arguments.
pub fn parse_maps(args: &[String]) -> Result<Vec<(String, String)>, Error> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((c, f)) if !c.trim().is_empty() && !f.trim().is_empty() => {
                Ok((c.trim().to_string(), f.trim().to_string()))
            }
            _ => Err(Error::InvalidInput(format!(
                "--map {a:?}: expected COLUMN=field, e.g. --map \"E-mail Address=email\""
            ))),
        })
        .collect()
}

/// Works out the role of every column, or refuses the header saying what was expected and found.
pub fn plan(
    header: &[String],
    maps: &[(String, String)],
    default_form_id: Option<&str>,
) -> Result<Plan, Error> {
    let header: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    let found = header.join(", ");
    let refuse = |problem: String, hint: &str| {
        Error::InvalidInput(format!(
            "the header is not usable: {problem}\n  expected: {EXPECTED} (case-insensitive; \
             aliases such as first_name or \"First Name\"; other columns become custom fields)\n  \
             found:    {found}\nhint: {hint}"
        ))
    };
    if header.iter().all(String::is_empty) {
        return Err(refuse(
            "the first line is empty".into(),
            "the first line must name the columns",
        ));
    }
    if let Some(i) = header.iter().position(String::is_empty) {
        return Err(refuse(
            format!("column {} has no name", i + 1),
            "name every column, or remove the empty one",
        ));
    }
    for (column, _) in maps {
        if !header.iter().any(|h| h.eq_ignore_ascii_case(column)) {
            return Err(refuse(
                format!("--map names column {column:?}, which the file does not have"),
                "give --map a column name exactly as the header spells it",
            ));
        }
    }
    let mut roles = Vec::with_capacity(header.len());
    for name in &header {
        let mapped = maps.iter().find(|(c, _)| c.eq_ignore_ascii_case(name));
        let role = match mapped {
            Some((c, f)) => mapped_role(c, f).map_err(Error::InvalidInput)?,
            None if ERROR_COLUMNS.iter().any(|e| e.eq_ignore_ascii_case(name)) => Role::Ignore,
            None if is_form_id(name) => Role::FormId,
            None => match LeadField::from_name(name) {
                Some(field) => Role::Field(field),
                None => Role::Custom(name.clone()),
            },
        };
        if !matches!(role, Role::Custom(_) | Role::Ignore)
            && let Some(j) = roles.iter().position(|r| *r == role)
        {
            return Err(refuse(
                format!(
                    "columns {:?} and {name:?} both give the {}",
                    header[j],
                    field_name(&role)
                ),
                "remove one, or pass --map COLUMN=ignore for it",
            ));
        }
        roles.push(role);
    }
    let looks_like_data = header.iter().any(|h| h.contains('@'));
    if !roles.contains(&Role::Field(LeadField::Email)) {
        let hint = if looks_like_data {
            "the first line looks like data: add a header line naming the columns"
        } else {
            "rename the email column, or pass --map COLUMN=email"
        };
        return Err(refuse("no email column".into(), hint));
    }
    let default_form_id = default_form_id
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string);
    if !roles.contains(&Role::FormId) && default_form_id.is_none() {
        return Err(refuse(
            "no formId column".into(),
            "add a formId column, pass --form-id ID for the whole file, or --map COLUMN=form_id",
        ));
    }
    Ok(Plan {
        header,
        roles,
        default_form_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aliases_and_custom_columns() {
        let plan = plan(
            &h(&[
                "\u{feff}E-mail",
                "First Name",
                "last_name",
                "Form ID",
                "Budget",
            ]),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(plan.header[0], "E-mail");
        assert_eq!(plan.roles[0], Role::Field(LeadField::Email));
        assert_eq!(plan.roles[1], Role::Field(LeadField::FirstName));
        assert_eq!(plan.roles[3], Role::FormId);
        assert_eq!(plan.roles[4], Role::Custom("Budget".into()));
    }

    #[test]
    fn refusals_say_expected_and_found() {
        let err = plan(&h(&["name", "company", "formId"]), &[], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no email column"), "{err}");
        assert!(err.contains("expected: email, firstName"), "{err}");
        assert!(err.contains("found:    name, company, formId"), "{err}");
        let err = plan(&h(&["email", "company"]), &[], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no formId column"), "{err}");
        assert!(plan(&h(&["email", "company"]), &[], Some("f-1")).is_ok());
        let err = plan(&h(&["email", "Email Address", "formId"]), &[], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("both give the email"), "{err}");
        let err = plan(&h(&["john@acme.com", "John", "f"]), &[], Some("x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("looks like data"), "{err}");
    }

    #[test]
    fn maps_rename_columns() {
        let maps = parse_maps(&["Correo=email".into(), "Formulario=form_id".into()]).unwrap();
        let plan = plan(&h(&["Correo", "Formulario"]), &maps, None).unwrap();
        assert_eq!(
            plan.roles,
            vec![Role::Field(LeadField::Email), Role::FormId]
        );
        assert!(parse_maps(&["nope".into()]).is_err());
        let err = super::plan(
            &h(&["email", "formId"]),
            &[("x".into(), "email".into())],
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not have"));
    }
}

#[cfg(test)]
pub(crate) mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::props::{awkward_text, config};

    /// One accepted spelling per role: the names of [`EXPECTED`] and their aliases.
    const KNOWN: &[(&[&str], Role)] = &[
        (
            &["email", "E-mail", "Email Address", "work_email"],
            Role::Field(LeadField::Email),
        ),
        (
            &["firstName", "first_name", "First Name", "given name"],
            Role::Field(LeadField::FirstName),
        ),
        (
            &["lastName", "last_name", "Surname", "family-name"],
            Role::Field(LeadField::LastName),
        ),
        (
            &["company", "Company Name", "organisation"],
            Role::Field(LeadField::Company),
        ),
        (&["formId", "form_id", "Form ID", "formGuid"], Role::FormId),
        (
            &["jobTitle", "Job Title", "role"],
            Role::Field(LeadField::JobTitle),
        ),
        (&["phone", "Mobile Phone"], Role::Field(LeadField::Phone)),
        (&["message", "comments"], Role::Field(LeadField::Message)),
    ];

    /// Flips the case of each character where `flips` says so.
    fn recase(name: &str, flips: &[bool]) -> String {
        name.chars()
            .zip(flips.iter().cycle())
            .map(|(c, &flip)| {
                if flip {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    /// A header holding email and formId plus any of the other known roles, one spelling each,
    /// in any order and case, with the role each column must get.
    pub(crate) fn known_header() -> impl Strategy<Value = Vec<(String, Role)>> {
        let picks = KNOWN
            .iter()
            .enumerate()
            .map(|(i, (names, role))| {
                let required = i == 0 || i == 4;
                (
                    proptest::sample::select(*names),
                    proptest::collection::vec(any::<bool>(), 1..8),
                    if required {
                        Just(true).boxed()
                    } else {
                        any::<bool>().boxed()
                    },
                )
                    .prop_map(move |(name, flips, keep)| {
                        keep.then(|| (recase(name, &flips), role.clone()))
                    })
            })
            .collect::<Vec<_>>();
        picks
            .prop_map(|cols| cols.into_iter().flatten().collect::<Vec<_>>())
            .prop_shuffle()
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any permutation and case of the known header names is accepted, and
        /// each column gets its role.
        #[test]
        fn any_order_and_case_of_known_names_is_planned(columns in known_header()) {
            let header: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
            let plan = plan(&header, &[], None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let roles: Vec<Role> = columns.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(plan.roles, roles);
        }

        /// Invariant: any header and `--map` give a plan or a typed refusal, never a panic; a
        /// plan always has exactly one email column and a form id from somewhere.
        #[test]
        fn any_header_plans_or_is_refused(
            header in proptest::collection::vec(
                prop_oneof![awkward_text(10), proptest::sample::select(&["email", "formId", "\u{feff}email", ""][..]).prop_map(str::to_string)],
                0..6,
            ),
            maps in proptest::collection::vec((awkward_text(6), awkward_text(6)), 0..2),
            form_id in proptest::option::of(awkward_text(4)),
        ) {
            if let Ok(plan) = plan(&header, &maps, form_id.as_deref()) {
                let emails = plan.roles.iter().filter(|r| **r == Role::Field(LeadField::Email)).count();
                prop_assert_eq!(emails, 1);
                prop_assert!(plan.roles.contains(&Role::FormId) || plan.default_form_id.is_some());
                prop_assert_eq!(plan.roles.len(), plan.header.len());
            }
        }
    }
}
