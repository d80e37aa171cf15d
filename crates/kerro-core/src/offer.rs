//! Offers: what kerro may show a subject, on which channels, for which
//! purpose, and when. A targeting condition is GrowthBook's condition
//! language, type-checked against the schema when the offer is saved (which
//! GrowthBook does not do): it may read only attributes bound to the offer's
//! purpose, never special-category data (P10), and only with operators that
//! make sense for the attribute's kind.

use chrono::{DateTime, Utc};
use kerro_condition::{Condition, ElemMatch, FieldTest, Node, Op, Prim, Rel};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::contact::Channel;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::i18n::Localized;
pub use crate::ids::OfferKey;
use crate::ids::{AttributeKey, PurposeKey};
use crate::schema::{AttrKind, AttributeSpec, Schema, Use};

fn empty_condition() -> Value {
    Value::Object(Default::default())
}

/// An offer as defined by the company (`PUT /v1/offers/{key}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfferSpec {
    pub title: Localized,
    pub body: Localized,
    /// The purpose whose consent (or other basis) makes personalising this offer legitimate.
    pub purpose: PurposeKey,
    /// GrowthBook condition over declared attributes; `{}` makes the offer generic.
    #[serde(default = "empty_condition")]
    pub condition: Value,
    pub channels: BTreeSet<Channel>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
    /// At most this many deliveries of this offer to one subject within `period_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_subject: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_days: Option<u32>,
    #[serde(default)]
    pub topics: Vec<String>,
}

/// An offer checked against the schema, with its condition compiled once.
#[derive(Debug, Clone)]
pub struct CompiledOffer {
    pub key: OfferKey,
    pub spec: OfferSpec,
    pub condition: Condition,
    /// The attributes the condition reads, in key order.
    pub reads: Vec<AttributeKey>,
    /// A generic offer (`{}`) needs no personalisation consent and reads nothing.
    pub generic: bool,
}

impl CompiledOffer {
    /// Whether the offer may be shown at `now`.
    pub fn live_at(&self, now: &DateTime<Utc>) -> bool {
        self.spec.valid_from.is_none_or(|f| f <= *now)
            && self.spec.valid_until.is_none_or(|u| *now < u)
    }
}

/// Checks an offer against the schema and compiles its condition.
pub fn compile_offer(key: OfferKey, spec: OfferSpec, schema: &Schema) -> CoreResult<CompiledOffer> {
    spec.title.validate("title")?;
    spec.body.validate("body")?;
    let purpose = schema.purposes.get(&spec.purpose).ok_or_else(|| {
        CoreError::not_found("purpose", format!("unknown purpose '{}'", spec.purpose))
    })?;
    if spec.channels.is_empty() {
        return Err(CoreError::invalid(
            "channels",
            "an offer needs at least one channel",
        ));
    }
    if let (Some(f), Some(u)) = (spec.valid_from, spec.valid_until) {
        if f >= u {
            return Err(CoreError::invalid(
                "valid_until",
                "valid_until must be after valid_from",
            ));
        }
    }
    match (spec.max_per_subject, spec.period_days) {
        (Some(0), _) => {
            return Err(CoreError::invalid(
                "max_per_subject",
                "a cap must be at least 1",
            ))
        }
        (Some(_), None) => {
            return Err(CoreError::invalid(
                "period_days",
                "a cap needs the period it counts over",
            ))
        }
        (None, Some(_)) => {
            return Err(CoreError::invalid(
                "max_per_subject",
                "period_days needs max_per_subject",
            ))
        }
        (_, Some(d)) if d == 0 || d > 3650 => {
            return Err(CoreError::invalid(
                "period_days",
                "period_days must be between 1 and 3650",
            ))
        }
        _ => {}
    }
    for (i, t) in spec.topics.iter().enumerate() {
        if t.trim().is_empty() || t.len() > 100 {
            return Err(CoreError::invalid(
                format!("topics.{i}"),
                "a topic is 1-100 characters",
            ));
        }
    }
    let generic = spec.condition.as_object().is_some_and(|m| m.is_empty());
    if !generic && !purpose.uses.contains(&Use::Personalization) {
        return Err(CoreError::invalid(
            "purpose",
            format!(
                "purpose '{}' does not list 'personalization' among its uses, so it cannot target",
                spec.purpose
            ),
        ));
    }
    let (condition, reads) = compile_condition(&spec.purpose, &spec.condition, schema)?;
    Ok(CompiledOffer {
        key,
        reads,
        spec,
        condition,
        generic,
    })
}

/// Type-checks a condition for use under `purpose` (offers and audiences) and compiles it.
/// Returns the compiled condition and the attributes it reads.
pub fn compile_condition(
    purpose: &PurposeKey,
    json: &Value,
    schema: &Schema,
) -> CoreResult<(Condition, Vec<AttributeKey>)> {
    if !schema.purposes.contains_key(purpose) {
        return Err(CoreError::not_found(
            "purpose",
            format!("unknown purpose '{purpose}'"),
        ));
    }
    if !json.is_object() {
        return Err(CoreError::invalid(
            "condition",
            "a condition is a JSON object ({} for everyone)",
        ));
    }
    let condition =
        Condition::compile(json).map_err(|e| CoreError::invalid("condition", e.to_string()))?;
    let mut reads = BTreeSet::new();
    Checker { schema, purpose }.node(condition.root(), &mut reads)?;
    Ok((condition, reads.into_iter().collect()))
}

struct Checker<'a> {
    schema: &'a Schema,
    purpose: &'a PurposeKey,
}

fn bad(field: String, message: impl Into<String>) -> CoreError {
    CoreError::at(ErrorCode::InvalidValue, field, message)
}

impl Checker<'_> {
    fn node(&self, node: &Node, reads: &mut BTreeSet<AttributeKey>) -> CoreResult<()> {
        match node {
            Node::And(c) | Node::Or(c) | Node::Nor(c) => {
                c.iter().try_for_each(|n| self.node(n, reads))
            }
            Node::Not(n) => self.node(n, reads),
            Node::Field { path, test } => {
                let field = format!("condition.{}", path.as_str());
                let (key, attr) = self.attribute(path.as_str(), &field)?;
                self.test(&field, attr, test)?;
                reads.insert(key);
                Ok(())
            }
            Node::SavedGroup { .. } => Err(bad(
                "condition".into(),
                "kerro has no saved groups; name the values in the condition",
            )),
            Node::Const(_) | Node::Throw => Err(bad(
                "condition".into(),
                "a logical operator has an operand that is not a list of conditions",
            )),
        }
    }

    fn attribute(&self, raw: &str, field: &str) -> CoreResult<(AttributeKey, &AttributeSpec)> {
        let (key, attr) = self
            .schema
            .attributes
            .iter()
            .find(|(k, _)| k.as_str() == raw)
            .ok_or_else(|| {
                bad(
                    field.into(),
                    format!("'{raw}' is not an attribute (attributes are flat; no dotted paths)"),
                )
            })?;
        if attr.special_category {
            return Err(CoreError::at(
                ErrorCode::SpecialCategory,
                field,
                format!("'{raw}' is special-category data and is never used for targeting (P10)"),
            ));
        }
        if !attr.purposes.contains(self.purpose) {
            return Err(bad(
                field.into(),
                format!(
                    "'{raw}' is not bound to purpose '{}', so this offer may not read it (P2)",
                    self.purpose
                ),
            ));
        }
        Ok((key.clone(), attr))
    }

    fn test(&self, field: &str, attr: &AttributeSpec, test: &FieldTest) -> CoreResult<()> {
        let kind = attr.kind;
        match test {
            FieldTest::Str(s) => self.scalar_str(field, attr, s),
            FieldTest::Num(_) if kind == AttrKind::Number => Ok(()),
            FieldTest::Bool(_) if kind == AttrKind::Boolean => Ok(()),
            FieldTest::Null => Ok(()),
            FieldTest::Num(_) | FieldTest::Bool(_) => Err(mismatch(field, kind)),
            FieldTest::Json(_) => Err(bad(
                field.into(),
                "comparing with a list or object compares exact JSON text; use $in, $all or $elemMatch",
            )),
            FieldTest::StrI(_) | FieldTest::Never => Err(bad(field.into(), "no stored value can pass this test")),
            FieldTest::Ops(ops) => ops.iter().try_for_each(|op| self.op(field, attr, op)),
        }
    }

    fn scalar_str(&self, field: &str, attr: &AttributeSpec, s: &str) -> CoreResult<()> {
        match attr.kind {
            AttrKind::Choice => self.option(field, attr, s),
            AttrKind::Text => Ok(()),
            AttrKind::Date => date(field, s),
            AttrKind::MultiChoice => Err(bad(
                field.into(),
                "equality with one value on a multi_choice compares the whole list; use $in, $all or $elemMatch",
            )),
            kind => Err(mismatch(field, kind)),
        }
    }

    fn option(&self, field: &str, attr: &AttributeSpec, s: &str) -> CoreResult<()> {
        if attr.option(s).is_some() {
            Ok(())
        } else {
            Err(bad(
                field.into(),
                format!("'{s}' is not one of the attribute's options"),
            ))
        }
    }

    fn prim(&self, field: &str, attr: &AttributeSpec, p: &Prim) -> CoreResult<()> {
        match (attr.kind, p) {
            (AttrKind::Number, Prim::Num(_)) | (AttrKind::Boolean, Prim::Bool(_)) => Ok(()),
            (AttrKind::MultiChoice, _) => Err(bad(
                field.into(),
                "$eq/$ne on a multi_choice compares the whole list; use $in, $nin, $all or $elemMatch",
            )),
            (_, Prim::Str(s)) => self.scalar_str(field, attr, s),
            (_, Prim::Null) => Err(bad(field.into(), "use $exists to test whether an answer was given")),
            (kind, _) => Err(mismatch(field, kind)),
        }
    }

    fn op(&self, parent: &str, attr: &AttributeSpec, op: &Op) -> CoreResult<()> {
        let kind = attr.kind;
        let at = |name: &str| format!("{parent}.{name}");
        match op {
            Op::Eq(p) => self.prim(&at("$eq"), attr, p),
            Op::Ne(p) => self.prim(&at("$ne"), attr, p),
            Op::Cmp(rel, p) => match (kind, p) {
                (AttrKind::Number, Prim::Num(_)) => Ok(()),
                (AttrKind::Date, Prim::Str(s)) => date(&at(rel_name(*rel)), s),
                (AttrKind::Number | AttrKind::Date, _) => Err(mismatch(&at(rel_name(*rel)), kind)),
                _ => Err(bad(
                    at(rel_name(*rel)),
                    format!(
                        "ordering ($lt, $gt, ...) does not apply to a {}",
                        kind_name(kind)
                    ),
                )),
            },
            Op::Exists(_) | Op::Type(_) => Ok(()),
            Op::In(set) | Op::Nin(set) | Op::Ini(set) | Op::Nini(set) => {
                let name = match op {
                    Op::In(_) => "$in",
                    Op::Nin(_) => "$nin",
                    Op::Ini(_) => "$ini",
                    _ => "$nini",
                };
                let f = at(name);
                let insensitive = matches!(op, Op::Ini(_) | Op::Nini(_));
                match kind {
                    AttrKind::Choice | AttrKind::MultiChoice => {
                        if !set.numbers().is_empty()
                            || set.has_null()
                            || set.has_bool(true)
                            || set.has_bool(false)
                        {
                            return Err(bad(f, "options are strings"));
                        }
                        for s in set.strings() {
                            let known = if insensitive {
                                attr.options.iter().any(|o| o.value.eq_ignore_ascii_case(s))
                            } else {
                                attr.option(s).is_some()
                            };
                            if !known {
                                return Err(bad(
                                    f,
                                    format!("'{s}' is not one of the attribute's options"),
                                ));
                            }
                        }
                        Ok(())
                    }
                    AttrKind::Number if !insensitive && set.strings().is_empty() => Ok(()),
                    AttrKind::Boolean
                        if !insensitive && set.strings().is_empty() && set.numbers().is_empty() =>
                    {
                        Ok(())
                    }
                    AttrKind::Text if set.numbers().is_empty() => Ok(()),
                    AttrKind::Date if set.numbers().is_empty() => {
                        set.strings().iter().try_for_each(|s| date(&f, s))
                    }
                    _ => Err(mismatch(&f, kind)),
                }
            }
            Op::InGroup(_) | Op::NotInGroup(_) => Err(bad(
                at("$inGroup"),
                "kerro has no saved groups; name the values",
            )),
            Op::Not(t) => self.test(&at("$not"), attr, t),
            Op::Size(t) => {
                if kind != AttrKind::MultiChoice {
                    return Err(bad(at("$size"), "$size applies to multi_choice answers"));
                }
                let count = AttributeSpec {
                    kind: AttrKind::Number,
                    options: vec![],
                    ..attr.clone()
                };
                self.test(&at("$size"), &count, t)
            }
            Op::ElemMatch(em) => {
                if kind != AttrKind::MultiChoice {
                    return Err(bad(
                        at("$elemMatch"),
                        "$elemMatch applies to multi_choice answers",
                    ));
                }
                let element = AttributeSpec {
                    kind: AttrKind::Choice,
                    ..attr.clone()
                };
                match em {
                    ElemMatch::Value(t) => self.test(&at("$elemMatch"), &element, t),
                    _ => Err(bad(
                        at("$elemMatch"),
                        "match elements with operators, e.g. {\"$elemMatch\": {\"$in\": [...]}}",
                    )),
                }
            }
            Op::All(tests) | Op::Alli(tests) => {
                if kind != AttrKind::MultiChoice {
                    return Err(bad(at("$all"), "$all applies to multi_choice answers"));
                }
                let element = AttributeSpec {
                    kind: AttrKind::Choice,
                    ..attr.clone()
                };
                tests.iter().try_for_each(|t| match t {
                    FieldTest::StrI(s)
                        if attr.options.iter().any(|o| o.value.eq_ignore_ascii_case(s)) =>
                    {
                        Ok(())
                    }
                    t => self.test(&at("$all"), &element, t),
                })
            }
            Op::Regex(r) => {
                if !matches!(kind, AttrKind::Text | AttrKind::Choice | AttrKind::Date) {
                    return Err(bad(
                        at("$regex"),
                        format!("a pattern does not apply to a {}", kind_name(kind)),
                    ));
                }
                if !r.is_compiled() {
                    return Err(bad(
                        at("$regex"),
                        "the pattern is not a valid regular expression",
                    ));
                }
                Ok(())
            }
            Op::Version(..) => {
                if kind != AttrKind::Text {
                    return Err(bad(at("$veq"), "version comparisons apply to text answers"));
                }
                Ok(())
            }
            Op::Const(_) | Op::Throw => Err(bad(
                parent.into(),
                "an operator's operand has the wrong shape (e.g. $in needs a list)",
            )),
            Op::Unknown(name) => Err(bad(at(name), format!("unknown operator '{name}'"))),
        }
    }
}

/// A date in a condition is read as strictly as a date answer, so the text
/// comparison the condition makes is between two canonical dates.
fn date(field: &str, s: &str) -> CoreResult<()> {
    match crate::time::parse_date(s) {
        Some(_) => Ok(()),
        None => Err(bad(field.into(), crate::value::not_a_date(s))),
    }
}

/// The operator an ordering was written with, for the path of an error.
fn rel_name(rel: Rel) -> &'static str {
    match rel {
        Rel::Lt => "$lt",
        Rel::Lte => "$lte",
        Rel::Gt => "$gt",
        Rel::Gte => "$gte",
    }
}

fn kind_name(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Choice => "choice",
        AttrKind::MultiChoice => "multi_choice",
        AttrKind::Number => "number",
        AttrKind::Boolean => "boolean",
        AttrKind::Text => "text",
        AttrKind::Date => "date",
    }
}

fn mismatch(field: &str, kind: AttrKind) -> CoreError {
    bad(
        field.into(),
        format!(
            "the value's type does not fit a {} attribute",
            kind_name(kind)
        ),
    )
}

#[cfg(test)]
#[path = "offer_tests.rs"]
pub(crate) mod tests;
