//! Contact preferences: which channels the subject opted in to, their own cap
//! on messages per week, and the language they want to be addressed in.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{CoreError, CoreResult};
use crate::i18n::Lang;

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
}

impl ContactPrefs {
    pub fn opted_in(&self, channel: Channel) -> bool {
        self.channels.get(&channel).copied().unwrap_or(false)
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
