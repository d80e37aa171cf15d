//! Contact preferences: which channels the subject opted in to, their own cap
//! on messages per week, and the language they want to be addressed in.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{CoreError, CoreResult};
use crate::i18n::Lang;
use crate::ids::PurposeKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Phone,
    Post,
    Web,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Sms,
        Channel::Phone,
        Channel::Post,
        Channel::Web,
    ];

    /// Whether something sent on this channel is a message (e-mail, SMS, a
    /// call, a letter), which the subject's weekly cap counts; the web channel
    /// only shows offers on the company's own pages (impressions).
    pub fn is_message(self) -> bool {
        self != Channel::Web
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Post => "post",
            Channel::Web => "web",
        }
    }
}

/// Whether the subject's e-mail address may be written to (double opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EmailStatus {
    /// No address is held.
    #[default]
    None,
    /// An address was given but not confirmed: nothing is sent to it.
    Pending,
    /// Confirmed by its owner, or taken from the company's own records.
    Verified,
}

/// The most a subject may ask for; a higher cap is a typo.
pub const MAX_PER_WEEK_LIMIT: u32 = 100;

/// A subject's contact preferences. A channel never set is not opted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPrefs {
    pub channels: BTreeMap<Channel, bool>,
    /// "At most N messages per 7 days"; `None` means the subject set no cap of their own.
    pub max_per_week: Option<u32>,
    pub language: Option<Lang>,
    /// Channels the subject left for one purpose only (one-click unsubscribe,
    /// P19): the channel stays on for the subject's other purposes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsubscribed: BTreeMap<Channel, BTreeSet<PurposeKey>>,
}

impl ContactPrefs {
    pub fn opted_in(&self, channel: Channel) -> bool {
        self.channels.get(&channel).copied().unwrap_or(false)
    }

    /// Whether the subject may be reached on `channel` about `purpose`.
    pub fn reachable(&self, channel: Channel, purpose: &PurposeKey) -> bool {
        self.opted_in(channel)
            && !self
                .unsubscribed
                .get(&channel)
                .is_some_and(|left| left.contains(purpose))
    }

    pub fn validate(&self) -> CoreResult<()> {
        if self.max_per_week.is_some_and(|n| n > MAX_PER_WEEK_LIMIT) {
            return Err(CoreError::invalid(
                "max_per_week",
                format!("at most {MAX_PER_WEEK_LIMIT} messages per week can be chosen"),
            ));
        }
        Ok(())
    }

    /// Every channel with its state, never-set ones as `false`, for display and export.
    pub fn all_channels(&self) -> BTreeMap<Channel, bool> {
        Channel::ALL
            .into_iter()
            .map(|c| (c, self.opted_in(c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_set_is_not_opted_in() {
        let mut p = ContactPrefs::default();
        assert!(!p.opted_in(Channel::Email));
        p.channels.insert(Channel::Email, true);
        assert!(p.opted_in(Channel::Email));
        assert!(!p.opted_in(Channel::Sms));
        assert_eq!(p.all_channels().len(), 5);
    }

    #[test]
    fn cap_is_bounded() {
        let p = ContactPrefs {
            max_per_week: Some(101),
            ..Default::default()
        };
        assert!(p.validate().is_err());
        let p = ContactPrefs {
            max_per_week: Some(0),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
    }
}
