//! One question on a page: how each attribute kind is shown as a labelled,
//! keyboard-usable input (nothing pre-selected), how a posted value becomes
//! the JSON answer the API takes, and how a stored value reads back as text.

use kerro_core::schema::{AttrKind, AttributeSpec, Schema};
use kerro_core::value::normalize;
use kerro_core::{AttributeKey, PurposeKey};
use serde_json::{Number, Value};

use super::ctx::Posted;
use super::i18n::Tr;

pub struct OptionView {
    pub value: String,
    pub title: String,
    pub checked: bool,
    pub id: String,
}

/// An input for one attribute, ready for `templates/field.html`.
pub struct FieldView {
    pub key: String,
    /// The form field name: `a.<attribute>`.
    pub name: String,
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub options: Vec<OptionView>,
    /// The current text of a number, text or date input, or `true`/`false` for a boolean.
    pub value: String,
    pub min: String,
    pub max: String,
    pub max_length: String,
    /// "Used for: ..." with whether it needs consent.
    pub used_for: String,
    pub error: String,
    /// A special-category question (P10): a form asks for its own explicit statement.
    pub special: bool,
}

fn kind_name(k: AttrKind) -> &'static str {
    match k {
        AttrKind::Choice => "choice",
        AttrKind::MultiChoice => "multi_choice",
        AttrKind::Number => "number",
        AttrKind::Boolean => "boolean",
        AttrKind::Text => "text",
        AttrKind::Date => "date",
    }
}

fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// The value as an input shows it (`value` is a stored or posted answer, or null).
fn input_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Builds the input for `key`; `purposes` are the ones that may be named under "used for".
pub fn field_view(
    tr: &Tr,
    schema: &Schema,
    key: &AttributeKey,
    spec: &AttributeSpec,
    purposes: &[PurposeKey],
    value: &Value,
) -> FieldView {
    let selected: Vec<&str> = match value {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => vec![s.as_str()],
        _ => vec![],
    };
    let id = format!("q-{key}");
    let options = spec
        .options
        .iter()
        .map(|o| OptionView {
            id: format!("{id}-{}", o.value),
            value: o.value.clone(),
            title: tr.text(&o.title),
            checked: selected.contains(&o.value.as_str()),
        })
        .collect();
    let used: Vec<String> = spec
        .purposes
        .iter()
        .filter(|p| purposes.contains(p))
        .filter_map(|p| schema.purposes.get(p))
        .map(|p| tr.text(&p.title))
        .collect();
    FieldView {
        key: key.to_string(),
        name: format!("a.{key}"),
        kind: kind_name(spec.kind),
        title: tr.text(&spec.title),
        description: spec
            .description
            .as_ref()
            .map(|d| tr.text(d))
            .unwrap_or_default(),
        options,
        value: input_text(value),
        min: spec.min.map(number_text).unwrap_or_default(),
        max: spec.max.map(number_text).unwrap_or_default(),
        max_length: spec
            .max_length
            .unwrap_or(kerro_core::schema::DEFAULT_TEXT_MAX)
            .to_string(),
        used_for: tr.t1("field-used-for", "purposes", &used.join(", ")),
        error: String::new(),
        special: spec.special_category,
        id,
    }
}

/// The posted value of one attribute as JSON: `Ok(None)` when left empty, `Err` with a
/// translated message when it is not a valid answer.
pub fn posted_answer(
    tr: &Tr,
    key: &AttributeKey,
    spec: &AttributeSpec,
    posted: &Posted,
) -> Result<Option<Value>, String> {
    let name = format!("a.{key}");
    let one = posted.get(&name).map(str::trim).unwrap_or("");
    let raw = match spec.kind {
        AttrKind::MultiChoice => {
            let items: Vec<Value> = posted
                .all(&name)
                .filter(|v| !v.is_empty())
                .map(|v| Value::String(v.to_owned()))
                .collect();
            if items.is_empty() {
                return Ok(None);
            }
            Value::Array(items)
        }
        _ if one.is_empty() => return Ok(None),
        AttrKind::Choice | AttrKind::Text | AttrKind::Date => Value::String(one.to_owned()),
        AttrKind::Boolean => match one {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(tr.t("error-field-choice")),
        },
        AttrKind::Number => {
            let n: f64 = one
                .replace(',', ".")
                .parse()
                .map_err(|_| tr.t("error-field-number"))?;
            if !n.is_finite() {
                return Err(tr.t("error-field-number"));
            }
            if n.fract() == 0.0 && n.abs() < 1e15 {
                Value::Number(Number::from(n as i64))
            } else {
                Number::from_f64(n)
                    .map(Value::Number)
                    .ok_or_else(|| tr.t("error-field-number"))?
            }
        }
    };
    normalize(&name, spec, &raw)
        .map(Some)
        .map_err(|_| match spec.kind {
            AttrKind::Number => {
                let range = format!(
                    "{}–{}",
                    spec.min.map(number_text).unwrap_or_default(),
                    spec.max.map(number_text).unwrap_or_default()
                );
                tr.t1("error-field-range", "range", &range)
            }
            AttrKind::Date => tr.t("error-field-date"),
            AttrKind::Text => tr.t1(
                "error-field-length",
                "max",
                &spec
                    .max_length
                    .unwrap_or(kerro_core::schema::DEFAULT_TEXT_MAX)
                    .to_string(),
            ),
            _ => tr.t("error-field-choice"),
        })
}

/// One declared value as a sentence part: the question, then the answer as a
/// person reads it ("Interests: Cloud, OT"; a question that ends in its own
/// punctuation keeps it).
pub fn answer_text(tr: &Tr, schema: &Schema, attribute: &AttributeKey, value: &Value) -> String {
    let attr = schema.attributes.get(attribute);
    let question = attr
        .map(|a| tr.text(&a.title))
        .unwrap_or_else(|| attribute.to_string());
    let sep = if question.ends_with(['?', ':']) {
        " "
    } else {
        ": "
    };
    format!("{question}{sep}{}", display_value(tr, attr, value))
}

/// A stored answer as a person reads it: option titles, yes/no, the number or text.
pub fn display_value(tr: &Tr, spec: Option<&AttributeSpec>, value: &Value) -> String {
    let title_of = |v: &str| -> String {
        spec.and_then(|s| s.option(v))
            .map(|o| tr.text(&o.title))
            .unwrap_or_else(|| v.to_owned())
    };
    match value {
        Value::Array(items) if items.is_empty() => tr.t("value-none"),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(title_of)
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) if spec.is_some_and(|s| s.kind == AttrKind::Choice) => title_of(s),
        Value::String(s) => s.clone(),
        Value::Bool(true) => tr.t("value-yes"),
        Value::Bool(false) => tr.t("value-no"),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
