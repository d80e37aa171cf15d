//! Sending kerro's e-mail (sign-in links, campaign messages) with lettre: over SMTP when
//! `mail.smtp_url` is set, else as `.eml` files in `<data>/outbox/`, which the
//! demo and the tests read. Composing the text is the caller's job.

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use std::path::PathBuf;

use crate::config::Config;

enum Via {
    Smtp(Box<SmtpTransport>),
    Files(PathBuf),
    /// The configuration could not be turned into a transport; sending fails with this reason.
    Broken(String),
}

pub struct Mailer {
    from: Option<Mailbox>,
    via: Via,
}

impl Mailer {
    pub fn from_config(cfg: &Config) -> Mailer {
        let via = match &cfg.mail.smtp_url {
            Some(url) => match SmtpTransport::from_url(url) {
                Ok(b) => Via::Smtp(Box::new(b.build())),
                Err(e) => Via::Broken(format!("mail.smtp_url: {e}")),
            },
            None => Via::Files(cfg.data_dir.join("outbox")),
        };
        Mailer {
            from: cfg.mail.from.parse().ok(),
            via,
        }
    }

    /// The directory messages are written to when there is no SMTP server.
    pub fn outbox(&self) -> Option<&PathBuf> {
        match &self.via {
            Via::Files(dir) => Some(dir),
            _ => None,
        }
    }

    /// Sends one plain-text message. Blocking: call it off the async runtime.
    pub fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        self.send_with(to, subject, body, &[])
    }

    /// Sends one plain-text message with extra headers (e.g. `List-Unsubscribe`).
    /// Blocking: call it off the async runtime.
    pub fn send_with(
        &self,
        to: &str,
        subject: &str,
        body: String,
        headers: &[(&'static str, String)],
    ) -> Result<(), String> {
        let from = self
            .from
            .clone()
            .ok_or_else(|| "mail.from is not an address".to_owned())?;
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body);
        let mut builder = Message::builder().from(from).to(to).subject(subject);
        for (name, value) in headers {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.clone(),
            ));
        }
        let message = builder
            .singlepart(part)
            .map_err(|e| format!("message: {e}"))?;
        match &self.via {
            Via::Smtp(t) => t.send(&message).map(|_| ()).map_err(|e| e.to_string()),
            Via::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("outbox: {e}"))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
                }
                FileTransport::new(dir)
                    .send(&message)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Via::Broken(reason) => Err(reason.clone()),
        }
    }
}
