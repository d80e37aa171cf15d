//! One hosted-form post as one transaction: using up the form's token,
//! creating the subject, recording the answers and consents, issuing the
//! confirmation link of the address it gave (double opt-in: the address
//! waits for it) and starting the session commit together or not at all. A refused answer after the subject
//! step leaves no subject, no declaration and no session behind.

use chrono::{DateTime, Duration, Utc};
use kerro_core::ids::{FormKey, SubjectId};
use kerro_core::{Actor, Lang};
use serde_json::{Map, Value};

use super::declare::{submit_in, Submission};
use super::email::issue_confirmation_in;
use super::sessions::{start_session_in, use_form_token_in};
use super::shared::object_to_sharing_in;
use super::subjects::{check_new_subject, create_in};
use super::Store;
use crate::error::StoreResult;
use crate::model::{NewSubject, SubmissionResult};

/// Who answers a hosted form.
#[derive(Debug, Clone)]
pub enum Respondent {
    /// A subject already signed in on this browser.
    Known(SubjectId),
    /// Someone new: a subject is created from these identifiers.
    New(NewSubject),
}

/// A hosted form's post, as the page read it.
#[derive(Debug, Clone)]
pub struct FormPost {
    pub form: FormKey,
    pub respondent: Respondent,
    pub notice_version: u32,
    pub answers: Map<String, Value>,
    pub consents: Map<String, Value>,
    /// The special-category questions whose explicit statement was ticked (P10).
    pub explicit: Vec<String>,
    /// The choices about the recipients of the form's sharing purposes (P21).
    pub recipients: Map<String, Value>,
    pub language: Lang,
    /// The anonymous form's single-use token (its keyed hash, and until when it is remembered).
    pub token: Option<(String, DateTime<Utc>)>,
    /// Start a session for a new respondent, valid this long.
    pub session_ttl: Option<Duration>,
    /// The browser sent `Sec-GPC: 1`: the respondent objects to sharing
    /// (P17), recorded with the answers.
    pub gpc: bool,
}

/// What a hosted-form post did.
#[derive(Debug, Clone)]
pub enum FormPosted {
    /// The token was used before: nothing was written.
    TokenUsed,
    Done {
        result: SubmissionResult,
        /// The new session's secret, when one was started.
        session: Option<String>,
    },
}

enum Who {
    Known(SubjectId),
    New {
        external_id: Option<String>,
        email: Option<String>,
        organization: Option<String>,
        locale: Option<Lang>,
    },
}

impl Store {
    /// Records a hosted-form post in one transaction (see the module docs).
    /// The subject answers as itself; a new one is created by the web form.
    pub fn post_form(&self, now: DateTime<Utc>, post: FormPost) -> StoreResult<FormPosted> {
        // Every check of the new subject's identifiers runs before the transaction.
        let who = match &post.respondent {
            Respondent::Known(id) => Who::Known(id.clone()),
            Respondent::New(new) => {
                let (external_id, email, organization) = check_new_subject(new)?;
                Who::New {
                    external_id,
                    email,
                    organization,
                    locale: new.locale.or(Some(post.language)),
                }
            }
        };
        let actor = match &who {
            Who::Known(id) => Actor::Subject(id.clone()),
            Who::New { .. } => Actor::System("web-form".into()),
        };
        let snapshot = self.schema();
        let default_lang = self.default_lang();
        let (posted, mail) = self.write(&actor, now, move |tx| {
            if let Some((hash, expires_at)) = &post.token {
                if !use_form_token_in(tx, hash, *expires_at)? {
                    return Ok((FormPosted::TokenUsed, None));
                }
            }
            let mut mail = None;
            let (subject, created) = match who {
                Who::Known(id) => (id, false),
                Who::New {
                    external_id,
                    email,
                    organization,
                    locale,
                } => {
                    // An address typed into an anonymous form may be anyone's:
                    // it waits for its owner to follow the link mailed to it.
                    let id = create_in(
                        tx,
                        external_id.as_deref(),
                        email.as_deref(),
                        organization.as_deref(),
                        locale,
                        true,
                        &format!("form:{}", post.form.as_str()),
                    )?;
                    if let Some(e) = &email {
                        let notice = Some((&post.form, post.notice_version));
                        mail = issue_confirmation_in(tx, &id, e, notice, post.language)?;
                    }
                    (id, true)
                }
            };
            // The answers are the subject's own, as with `Store::submit` by the subject.
            let result = submit_in(
                tx,
                &Actor::Subject(subject.clone()),
                &snapshot,
                default_lang,
                Submission {
                    form: post.form,
                    subject: subject.clone(),
                    notice_version: post.notice_version,
                    answers: post.answers,
                    consents: post.consents,
                    language: Some(post.language),
                    explicit: post.explicit,
                    recipients: post.recipients,
                },
            )?;
            if post.gpc {
                object_to_sharing_in(tx, &subject, "gpc")?;
            }
            let session = match post.session_ttl {
                Some(ttl) if created => Some(start_session_in(tx, &subject, ttl)?),
                _ => None,
            };
            Ok((FormPosted::Done { result, session }, mail))
        })?;
        self.queue_confirmation(mail);
        Ok(posted)
    }
}
