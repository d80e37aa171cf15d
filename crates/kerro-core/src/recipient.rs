//! The recipients register (P21): who receives personal data, in which
//! country, as a controller or a processor, and for a recipient outside the
//! EEA the art. 44-49 safeguard of the transfer. Purposes name recipients by
//! key; storing them and checking that a purpose names only registered ones
//! live in the store.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

/// Whether the recipient decides on the processing itself or acts for the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecipientRole {
    /// Another controller (art. 4(7)), e.g. a partner that uses the data for its own purposes.
    Controller,
    /// A processor acting on the controller's behalf (art. 28), e.g. a mailing service.
    Processor,
}

impl RecipientRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientRole::Controller => "controller",
            RecipientRole::Processor => "processor",
        }
    }
}

/// What makes a transfer outside the EEA lawful (GDPR chapter V).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Safeguard {
    /// An adequacy decision of the Commission (art. 45), e.g. the EU-US Data Privacy Framework.
    AdequacyDecision,
    /// Standard contractual clauses (art. 46(2)(c)).
    StandardContractualClauses,
    /// Binding corporate rules (art. 47).
    BindingCorporateRules,
    /// An approved code of conduct (art. 46(2)(e)).
    CodeOfConduct,
    /// An approved certification mechanism (art. 46(2)(f)).
    Certification,
    /// A derogation for a specific situation (art. 49), e.g. explicit consent.
    Derogation,
}

impl Safeguard {
    pub fn as_str(self) -> &'static str {
        match self {
            Safeguard::AdequacyDecision => "adequacy_decision",
            Safeguard::StandardContractualClauses => "standard_contractual_clauses",
            Safeguard::BindingCorporateRules => "binding_corporate_rules",
            Safeguard::CodeOfConduct => "code_of_conduct",
            Safeguard::Certification => "certification",
            Safeguard::Derogation => "derogation",
        }
    }
}

/// A recipient as registered (`PUT /v1/recipients/{key}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecipientSpec {
    /// The name customers see, e.g. "Postitus Oy"; 1-200 characters.
    pub name: String,
    /// ISO 3166-1 alpha-2 code of the country the data goes to, e.g. `FI`, `US`.
    pub country: String,
    pub role: RecipientRole,
    /// Required when `country` is outside the EEA; refused within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safeguard: Option<Safeguard>,
}

impl RecipientSpec {
    pub fn validate(&self) -> CoreResult<()> {
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > 200 || name.chars().any(char::is_control)
        {
            return Err(CoreError::invalid(
                "name",
                "a recipient needs a name of 1-200 characters, without control characters",
            ));
        }
        if !is_country(&self.country) {
            return Err(CoreError::invalid(
                "country",
                "give an ISO 3166-1 alpha-2 country code in capitals, e.g. FI or US",
            ));
        }
        match (self.third_country(), self.safeguard) {
            (true, None) => Err(CoreError::invalid(
                "safeguard",
                "a recipient outside the EEA needs the safeguard of the transfer (adequacy_decision, standard_contractual_clauses, binding_corporate_rules, code_of_conduct, certification or derogation)",
            )),
            (false, Some(_)) => Err(CoreError::invalid(
                "safeguard",
                "a recipient within the EEA is no transfer to a third country: leave out the safeguard",
            )),
            _ => Ok(()),
        }
    }

    /// Whether sending data to this recipient is a transfer to a third country (outside the EEA).
    pub fn third_country(&self) -> bool {
        !is_eea(&self.country)
    }
}

/// The EEA: the 27 member states of the EU, Iceland, Liechtenstein and Norway.
const EEA: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Every officially assigned ISO 3166-1 alpha-2 code, in order.
const COUNTRIES: &str =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ \
BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ \
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT \
GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY \
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX \
MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS \
RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN \
TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An officially assigned ISO 3166-1 alpha-2 code, in capitals.
pub fn is_country(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && COUNTRIES.split(' ').any(|c| c == code)
}

/// A member of the European Economic Area.
pub fn is_eea(code: &str) -> bool {
    EEA.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(country: &str, safeguard: Option<Safeguard>) -> RecipientSpec {
        RecipientSpec {
            name: "Postitus Oy".into(),
            country: country.into(),
            role: RecipientRole::Processor,
            safeguard,
        }
    }

    fn check(s: RecipientSpec, field: Option<&str>) {
        let got = s.validate().err().and_then(|e| e.field);
        assert_eq!(got.as_deref(), field, "{s:?}");
    }

    #[test]
    fn country_and_safeguard() {
        let scc = Some(Safeguard::StandardContractualClauses);
        check(spec("FI", None), None);
        check(spec("NO", None), None);
        check(spec("US", scc), None);
        check(spec("US", None), Some("safeguard"));
        check(spec("GB", None), Some("safeguard"));
        check(spec("FI", scc), Some("safeguard"));
        for bad in ["", "fi", "F", "FIN", "XX", "EU", "EL", "UK", "Fİ"] {
            check(spec(bad, scc), Some("country"));
        }
        let mut s = spec("FI", None);
        s.name = " ".into();
        check(s.clone(), Some("name"));
        s.name = "a".repeat(201);
        check(s.clone(), Some("name"));
        s.name = "a\nb".into();
        check(s, Some("name"));
    }

    #[test]
    fn the_lists() {
        let all: Vec<&str> = COUNTRIES.split(' ').collect();
        assert_eq!(all.len(), 249);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(EEA.len(), 30);
        assert!(EEA.iter().all(|c| is_country(c)));
    }
}
