//! Languages and texts given per language, with the fallback rule: a missing
//! language falls back to the configured default, then to any given text.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::error::{CoreError, CoreResult};

/// The languages kerro speaks: Finnish, Swedish and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fi,
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Parses `fi`, `sv`, `en`, also with a region (`fi-FI`, `en_GB`).
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "fi" => Some(Lang::Fi),
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn parse_field(field: &str, raw: &str) -> CoreResult<Lang> {
        Lang::parse(raw).ok_or_else(|| {
            CoreError::invalid(
                field,
                format!("'{raw}' is not a supported language (fi, sv, en)"),
            )
        })
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text given in one or more languages. Never empty once validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<Lang, String>);

impl Localized {
    /// Checks that at least one language is given and no text is blank.
    pub fn validate(&self, field: &str) -> CoreResult<()> {
        if self.0.is_empty() {
            return Err(CoreError::invalid(
                field,
                "give the text in at least one language (fi, sv, en)",
            ));
        }
        for (lang, text) in &self.0 {
            if text.trim().is_empty() {
                return Err(CoreError::invalid(
                    format!("{field}.{lang}"),
                    "text must not be blank",
                ));
            }
        }
        Ok(())
    }

    /// The text in `lang`, else in `default`, else the first given.
    pub fn get(&self, lang: Lang, default: Lang) -> &str {
        self.0
            .get(&lang)
            .or_else(|| self.0.get(&default))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Which language `get` would answer in.
    pub fn resolved_lang(&self, lang: Lang, default: Lang) -> Lang {
        if self.0.contains_key(&lang) {
            lang
        } else if self.0.contains_key(&default) {
            default
        } else {
            self.0.keys().next().copied().unwrap_or(default)
        }
    }

    pub fn one(lang: Lang, text: &str) -> Self {
        Localized(BTreeMap::from([(lang, text.to_owned())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback() {
        let t = Localized(BTreeMap::from([
            (Lang::Fi, "Hei".into()),
            (Lang::En, "Hi".into()),
        ]));
        assert_eq!(t.get(Lang::En, Lang::Fi), "Hi");
        assert_eq!(t.get(Lang::Sv, Lang::Fi), "Hei");
        assert_eq!(t.get(Lang::Sv, Lang::En), "Hi");
        let only_sv = Localized::one(Lang::Sv, "Hej");
        assert_eq!(only_sv.get(Lang::En, Lang::Fi), "Hej");
        assert_eq!(only_sv.resolved_lang(Lang::En, Lang::Fi), Lang::Sv);
    }

    #[test]
    fn validation() {
        assert!(Localized::default().validate("title").is_err());
        let blank = Localized::one(Lang::Fi, "  ");
        assert_eq!(
            blank.validate("title").unwrap_err().field.as_deref(),
            Some("title.fi")
        );
        assert!(Localized::one(Lang::En, "x").validate("title").is_ok());
    }

    #[test]
    fn lang_parse() {
        assert_eq!(Lang::parse("fi-FI"), Some(Lang::Fi));
        assert_eq!(Lang::parse("en_GB"), Some(Lang::En));
        assert_eq!(Lang::parse("SV"), Some(Lang::Sv));
        assert_eq!(Lang::parse("de"), None);
    }
}
