//! Translations with Fluent: one bundle per language, loaded from
//! `locales/{fi,sv,en}/kerro.ftl` (compiled in), and `Tr`, the handle a page
//! renders with. Choosing the language of a request lives in `ctx.rs`.

use chrono::{DateTime, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use kerro_core::{Lang, Localized};
use std::sync::Arc;

/// The Fluent sources, one file per language.
pub const SOURCES: [(Lang, &str); 3] = [
    (Lang::Fi, include_str!("../../locales/fi/kerro.ftl")),
    (Lang::Sv, include_str!("../../locales/sv/kerro.ftl")),
    (Lang::En, include_str!("../../locales/en/kerro.ftl")),
];

/// The three bundles.
pub struct L10n {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl L10n {
    pub fn load() -> L10n {
        let bundles = SOURCES
            .iter()
            .map(|(lang, src)| {
                let resource = match FluentResource::try_new((*src).to_owned()) {
                    Ok(r) => r,
                    // A syntax error drops only the broken entries; a unit test keeps the files clean.
                    Err((r, errors)) => {
                        tracing::error!(?errors, "translations for {lang} have syntax errors");
                        r
                    }
                };
                let id = lang
                    .as_str()
                    .parse()
                    .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Unicode isolation marks would show up as stray characters in HTML attributes and e-mail.
                bundle.set_use_isolating(false);
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(?errors, "translations for {lang} could not be added");
                }
                (*lang, bundle)
            })
            .collect();
        L10n { bundles }
    }

    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
        let Some((_, bundle)) = self.bundles.iter().find(|(l, _)| *l == lang) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!("missing translation '{id}' for {lang}");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(?errors, "translation '{id}' for {lang}");
        }
        out.into_owned()
    }
}

/// Translates for one page in one language.
#[derive(Clone)]
pub struct Tr {
    pub lang: Lang,
    /// The configured default language, for schema texts missing in `lang`.
    pub default: Lang,
    l10n: Arc<L10n>,
}

impl Tr {
    pub fn new(l10n: Arc<L10n>, lang: Lang, default: Lang) -> Tr {
        Tr {
            lang,
            default,
            l10n,
        }
    }

    /// A message without arguments.
    pub fn t(&self, id: &str) -> String {
        self.l10n.format(self.lang, id, None)
    }

    /// A message with one text argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_owned()));
        self.l10n.format(self.lang, id, Some(&args))
    }

    /// A message with two text arguments.
    pub fn t2(&self, id: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(n1, FluentValue::from(v1.to_owned()));
        args.set(n2, FluentValue::from(v2.to_owned()));
        self.l10n.format(self.lang, id, Some(&args))
    }

    /// A message with one number argument (plural forms select on it).
    pub fn tn(&self, id: &str, name: &str, n: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(n));
        self.l10n.format(self.lang, id, Some(&args))
    }

    /// A text the company defined, in this page's language where given.
    pub fn text(&self, l: &Localized) -> String {
        l.get(self.lang, self.default).to_owned()
    }

    /// A time as people in this language write it (UTC, which the page says).
    pub fn time(&self, t: &DateTime<Utc>) -> String {
        let f = match self.lang {
            Lang::Fi => "%-d.%-m.%Y klo %H.%M UTC",
            Lang::Sv => "%Y-%m-%d kl. %H:%M UTC",
            Lang::En => "%-d %b %Y, %H:%M UTC",
        };
        t.format(f).to_string()
    }

    /// A date as people in this language write it.
    pub fn date(&self, t: &DateTime<Utc>) -> String {
        let f = match self.lang {
            Lang::Fi => "%-d.%-m.%Y",
            Lang::Sv => "%Y-%m-%d",
            Lang::En => "%-d %b %Y",
        };
        t.format(f).to_string()
    }

    /// The language's own name, for the language switch.
    pub fn native_name(lang: Lang) -> &'static str {
        match lang {
            Lang::Fi => "Suomeksi",
            Lang::Sv => "På svenska",
            Lang::En => "In English",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| {
                l.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && l.contains(" =")
            })
            .filter_map(|l| l.split(" =").next().map(|s| s.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_language_has_every_message_and_parses() {
        let fi = ids(SOURCES[0].1);
        assert!(fi.len() > 50);
        for (lang, src) in SOURCES {
            assert!(
                FluentResource::try_new(src.to_owned()).is_ok(),
                "{lang} has syntax errors"
            );
            let these = ids(src);
            assert_eq!(
                fi.symmetric_difference(&these).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "fi and {lang} differ"
            );
        }
    }

    #[test]
    fn plurals_and_arguments() {
        let l10n = Arc::new(L10n::load());
        let en = Tr::new(l10n.clone(), Lang::En, Lang::Fi);
        assert_eq!(en.tn("retention-days", "days", 1), "1 day");
        assert_eq!(en.tn("retention-days", "days", 730), "730 days");
        let fi = Tr::new(l10n, Lang::Fi, Lang::Fi);
        assert_eq!(fi.tn("retention-days", "days", 730), "730 päivää");
    }
}
