//! Checks one answer against its attribute and returns it in normal form.
//! Values are JSON values: strings, numbers, booleans and arrays of strings.

use serde_json::Value;
use std::collections::BTreeSet;

use crate::error::{CoreError, CoreResult};
use crate::schema::{AttrKind, AttributeSpec, DEFAULT_TEXT_MAX};
use crate::time::{format_date, parse_date, MAX_DATE, MIN_DATE};

/// Why `s` is refused as a date (answers and offer conditions alike).
pub(crate) fn not_a_date(s: &str) -> String {
    format!("'{s}' is not a date YYYY-MM-DD from {MIN_DATE} to {MAX_DATE}")
}

/// Validates `value` for attribute `spec`; `field` names it in errors (e.g. `answers.company_size`).
pub fn normalize(field: &str, spec: &AttributeSpec, value: &Value) -> CoreResult<Value> {
    match spec.kind {
        AttrKind::Choice => {
            let s = value
                .as_str()
                .ok_or_else(|| CoreError::invalid(field, "expected one option value (a string)"))?;
            if spec.option(s).is_none() {
                return Err(CoreError::invalid(
                    field,
                    format!("'{s}' is not one of the options"),
                ));
            }
            Ok(Value::String(s.to_owned()))
        }
        AttrKind::MultiChoice => {
            let items = value
                .as_array()
                .ok_or_else(|| CoreError::invalid(field, "expected a list of option values"))?;
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let s = item.as_str().ok_or_else(|| {
                    CoreError::invalid(
                        format!("{field}.{i}"),
                        "expected an option value (a string)",
                    )
                })?;
                if spec.option(s).is_none() {
                    return Err(CoreError::invalid(
                        format!("{field}.{i}"),
                        format!("'{s}' is not one of the options"),
                    ));
                }
                if !seen.insert(s) {
                    return Err(CoreError::invalid(
                        format!("{field}.{i}"),
                        format!("'{s}' chosen twice"),
                    ));
                }
            }
            // Keep the options in the schema's order so equal answers compare equal.
            let ordered: Vec<Value> = spec
                .options
                .iter()
                .filter(|o| seen.contains(o.value.as_str()))
                .map(|o| Value::String(o.value.clone()))
                .collect();
            Ok(Value::Array(ordered))
        }
        AttrKind::Number => {
            let n = value
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| CoreError::invalid(field, "expected a number"))?;
            if spec.min.is_some_and(|min| n < min) || spec.max.is_some_and(|max| n > max) {
                return Err(CoreError::invalid(
                    field,
                    format!(
                        "{n} is outside the allowed range {}..{}",
                        spec.min.map(|v| v.to_string()).unwrap_or_default(),
                        spec.max.map(|v| v.to_string()).unwrap_or_default()
                    ),
                ));
            }
            Ok(value.clone())
        }
        AttrKind::Boolean => value
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| CoreError::invalid(field, "expected true or false")),
        AttrKind::Text => {
            let s = value
                .as_str()
                .ok_or_else(|| CoreError::invalid(field, "expected text"))?;
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Err(CoreError::invalid(
                    field,
                    "text must not be blank; send null to delete an answer",
                ));
            }
            let max = spec.max_length.unwrap_or(DEFAULT_TEXT_MAX) as usize;
            if trimmed.chars().count() > max {
                return Err(CoreError::invalid(
                    field,
                    format!("text is longer than {max} characters"),
                ));
            }
            Ok(Value::String(trimmed.to_owned()))
        }
        AttrKind::Date => {
            let s = value
                .as_str()
                .ok_or_else(|| CoreError::invalid(field, "expected a date YYYY-MM-DD"))?;
            // Stored as re-formatted from the parsed date, so every stored date is
            // canonical and `$lt`/`$gt` (which compare text) order them correctly.
            let date = parse_date(s).ok_or_else(|| CoreError::invalid(field, not_a_date(s)))?;
            Ok(Value::String(format_date(date)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Localized};
    use crate::schema::AttrOption;
    use serde_json::json;

    fn attr(kind: AttrKind) -> AttributeSpec {
        AttributeSpec {
            title: Localized::one(Lang::En, "t"),
            description: None,
            kind,
            options: if kind.has_options() {
                ["a", "b", "c"]
                    .iter()
                    .map(|v| AttrOption {
                        value: (*v).into(),
                        title: Localized::one(Lang::En, v),
                    })
                    .collect()
            } else {
                vec![]
            },
            min: (kind == AttrKind::Number).then_some(1.0),
            max: (kind == AttrKind::Number).then_some(10.0),
            max_length: (kind == AttrKind::Text).then_some(5),
            purposes: vec![],
            special_category: false,
        }
    }

    fn check(kind: AttrKind, value: Value, expected: Option<Value>) {
        let got = normalize("answers.x", &attr(kind), &value).ok();
        assert_eq!(got, expected, "{kind:?} {value}");
    }

    #[test]
    fn table() {
        use AttrKind::*;
        check(Choice, json!("a"), Some(json!("a")));
        check(Choice, json!("z"), None);
        check(Choice, json!(["a"]), None);
        check(Choice, json!(1), None);
        check(MultiChoice, json!(["c", "a"]), Some(json!(["a", "c"])));
        check(MultiChoice, json!([]), Some(json!([])));
        check(MultiChoice, json!(["a", "a"]), None);
        check(MultiChoice, json!(["z"]), None);
        check(MultiChoice, json!("a"), None);
        check(Number, json!(5), Some(json!(5)));
        check(Number, json!(1), Some(json!(1)));
        check(Number, json!(10.0), Some(json!(10.0)));
        check(Number, json!(0.5), None);
        check(Number, json!(11), None);
        check(Number, json!("5"), None);
        check(Boolean, json!(true), Some(json!(true)));
        check(Boolean, json!("true"), None);
        check(Text, json!(" hi "), Some(json!("hi")));
        check(Text, json!("   "), None);
        check(Text, json!("toolong"), None);
        check(Text, json!(5), None);
        check(Date, json!("2026-02-28"), Some(json!("2026-02-28")));
        check(Date, json!("2026-02-30"), None);
        check(Date, json!("28.2.2026"), None);
        check(Date, json!(null), None);
        // Only exactly YYYY-MM-DD, a real day from 0001-01-01 to 9999-12-31 (chrono's
        // `%Y-%m-%d` takes all of the refused ones but the last four).
        check(Date, json!("2020-1-1"), None);
        check(Date, json!(" 2020-01-01"), None);
        check(Date, json!("+2020-01-01"), None);
        check(Date, json!("-262143-01-01"), None);
        check(Date, json!("02020-01-01"), None);
        check(Date, json!("2020-01-01T00:00:00Z"), None);
        check(Date, json!("20200101"), None);
        check(Date, json!("2020-13-01"), None);
        check(Date, json!("0000-01-01"), None);
        check(Date, json!("2021-02-29"), None);
        check(Date, json!("２０２０-01-01"), None);
        check(Date, json!(20200101), None);
        check(Date, json!("9999-12-31"), Some(json!("9999-12-31")));
        check(Date, json!("0001-01-01"), Some(json!("0001-01-01")));
        check(Date, json!("2020-02-29"), Some(json!("2020-02-29")));
    }
}
