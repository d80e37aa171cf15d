//! E-mail addresses as kerro accepts them: parsed once when they come in
//! (RFC 5322 `addr-spec` with RFC 6531 UTF-8, by the `email_address` crate),
//! then brought to one canonical form that is stored and mailed to, and one
//! look-up key from which the blind index is computed. Sending is not here.
//!
//! The canonical form: surrounding white space removed, the whole address in
//! Unicode NFC, the domain in IDNA ASCII form (UTS 46 mapping, so upper case
//! and compatibility characters such as U+212A KELVIN SIGN become their plain
//! lower-case letters; internationalised labels become `xn--` labels), the
//! local part otherwise as typed. Refused: display names (`Name <a@b>`),
//! quoted local parts, domain literals (`a@[10.0.0.1]`), domains without a
//! dot, and addresses longer than 254 bytes.
//!
//! The look-up key is the canonical form in lower case, so `Kate@Example.fi`
//! and `kate@example.fi` are one customer.

use email_address::{EmailAddress, Options};
use unicode_normalization::UnicodeNormalization;

use crate::error::{CoreError, CoreResult};

/// The longest address a mail path carries (RFC 5321's 256-byte path less the brackets).
pub const MAX_LEN: usize = 254;

/// Parses `raw` and returns its canonical form; `field` names it in the error.
pub fn canonical(field: &str, raw: &str) -> CoreResult<String> {
    let bad = |why: &str| CoreError::invalid(field, format!("not an e-mail address: {why}"));
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad("empty"));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains white space or a control character"));
    }
    let nfc: String = trimmed.nfc().collect();
    if nfc.starts_with('"') {
        return Err(bad("quoted local parts are not accepted"));
    }
    let options = Options {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        allow_long_local_parts: false,
    };
    let parsed =
        EmailAddress::parse_with_options(&nfc, options).map_err(|e| bad(&e.to_string()))?;
    let domain = idna::domain_to_ascii_strict(parsed.domain())
        .map_err(|_| bad("the domain is not a valid domain name"))?;
    if !domain.contains('.') {
        return Err(bad("the domain has no dot"));
    }
    let address = format!("{}@{domain}", parsed.local_part());
    if address.len() > MAX_LEN {
        return Err(bad("longer than 254 bytes"));
    }
    // The canonical form must itself be an address the parser accepts.
    EmailAddress::parse_with_options(&address, options).map_err(|e| bad(&e.to_string()))?;
    Ok(address)
}

/// The key an address is looked up by (its blind index is computed from this):
/// the canonical form in lower case. `canonical_address` must come from [`canonical`].
pub fn lookup_key(canonical_address: &str) -> String {
    canonical_address.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for (raw, expected) in [
            ("kate@kerro.example", Some("kate@kerro.example")),
            ("  Kate@Kerro.Example ", Some("Kate@kerro.example")),
            // The Kelvin sign in the domain is the letter k (IDNA), in the local part
            // it becomes K (NFC).
            ("kate@\u{212A}erro.example", Some("kate@kerro.example")),
            ("\u{212A}ate@kerro.example", Some("Kate@kerro.example")),
            (
                "anna.virtanen+news@example.fi",
                Some("anna.virtanen+news@example.fi"),
            ),
            ("pekka@hääyhtiö.fi", Some("pekka@xn--hyhti-graa2m.fi")),
            ("jürgen@example.de", Some("jürgen@example.de")),
            ("xss\"<b>@example.invalid", None),
            ("\"quoted\"@example.fi", None),
            ("a@[10.0.0.1]", None),
            ("Kate <kate@example.fi>", None),
            ("kate@localhost", None),
            ("kate@example.", None),
            ("kate@@example.fi", None),
            ("kate@exa mple.fi", None),
            ("kate@example.fi\r\nBcc: x@y.fi", None),
            ("kate\u{0}@example.fi", None),
            ("@example.fi", None),
            ("kate@", None),
            ("", None),
            ("not an address", None),
            ("kate@-example.fi", None),
        ] {
            assert_eq!(canonical("email", raw).ok().as_deref(), expected, "{raw:?}");
        }
        let long = format!("{}@{}.fi", "a".repeat(64), "b".repeat(190));
        assert!(canonical("email", &long).is_err(), "over 254 bytes");
        let e = canonical("subject.email", "nope").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("subject.email"));
        assert_eq!(e.code, crate::ErrorCode::InvalidValue);
    }

    #[test]
    fn lookup_ignores_case_and_spelling() {
        let key = |raw: &str| lookup_key(&canonical("email", raw).unwrap());
        assert_eq!(key("Kate@Kerro.Example"), key("kate@kerro.example"));
        assert_eq!(key("kate@\u{212A}erro.example"), key("kate@kerro.example"));
        assert_ne!(key("kate@kerro.example"), key("kate2@kerro.example"));
    }
}
