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
