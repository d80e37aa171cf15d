//! One typed configuration, passed explicitly. Precedence: defaults < file
//! (`--config FILE` or `<data>/kerro.toml`) < `KERRO_*` environment < CLI
//! flags. Unknown keys in the file are an error.

use anyhow::{bail, Context};
use kerro_core::Lang;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Who is responsible for the data: shown on notices and receipts (P4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    pub name: String,
    pub address: String,
    pub email: String,
    /// The data protection officer's contact (e-mail or phone).
    pub dpo: String,
    #[serde(default)]
    pub privacy_policy_url: Option<String>,
}

impl Default for Controller {
    fn default() -> Self {
        Controller {
            name: "Example Company Oy".into(),
            address: "Esimerkkikatu 1, 00100 Helsinki, Finland".into(),
            email: "privacy@example.invalid".into(),
            dpo: "dpo@example.invalid".into(),
            privacy_policy_url: None,
        }
    }
}

/// How kerro sends e-mail (sign-in links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `smtps://user:pass@host:465` or `smtp://host:587?tls=required`; when absent, messages
    /// are written as `.eml` files to `<data>/outbox/`. Also `KERRO_SMTP_URL` or `KERRO_SMTP_URL_FILE`.
    pub smtp_url: Option<String>,
    /// The sender address of kerro's messages.
    pub from: String,
    /// Print each sign-in link to standard output (only `kerro demo` sets this).
    #[serde(skip)]
    pub print_links: bool,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "kerro <no-reply@localhost>".into(),
            print_links: false,
        }
    }
}

/// The customer-facing web pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Origins allowed to show hosted forms in an iframe (CSP `frame-ancestors`), e.g.
    /// `["https://www.example.fi"]`. Empty: only kerro itself.
    pub embed_origins: Vec<String>,
    /// Origins whose pages may read a signed-in visitor's offers with the offers
    /// snippet (`GET /v1/me/offers` across origins, CORS), e.g. `["https://www.example.fi"]`.
    /// Empty: no other origin may.
    pub offer_origins: Vec<String>,
    /// How long a browser session lasts, in minutes.
    pub session_minutes: u32,
    /// How long an e-mailed sign-in link works, in minutes.
    pub login_link_minutes: u32,
    /// Anonymous hosted-form submissions one client address may make per minute
    /// (IPv6 clients are counted per /64). Over it: 429 with `Retry-After`.
    pub form_posts_per_minute: u32,
    /// Sign-in requests (`POST /login`, `POST /admin/login`) one client address may make per minute.
    pub sign_in_requests_per_minute: u32,
    /// Staff invite acceptances (`POST /admin/invite`) one client address may make per minute.
    pub invite_posts_per_minute: u32,
    /// Second-factor checks (`POST /admin/enrol`) one client address may make per minute;
    /// wrong codes also lock the account (see docs/staff.md).
    pub second_factor_checks_per_minute: u32,
    /// Requests a minute one staff API token may make; 0: not limited (the default, since
    /// programs such as a CRM sync call thousands of times a second). A token created with
    /// `per_minute` has its own limit.
    pub api_token_requests_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` kerro believes: the client is then the
    /// nearest address in that header that is not itself one of these. Empty: the peer
    /// address of the connection is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            embed_origins: Vec::new(),
            offer_origins: Vec::new(),
            session_minutes: 120,
            login_link_minutes: 15,
            form_posts_per_minute: 30,
            sign_in_requests_per_minute: 10,
            invite_posts_per_minute: 10,
            second_factor_checks_per_minute: 10,
            api_token_requests_per_minute: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The HTTP listener's limits against slow and idle clients (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Seconds a client has to send a request's line and headers, from their first byte.
    pub header_read_timeout_secs: u32,
    /// Seconds a client has to send a whole request body, from the end of its headers.
    pub body_timeout_secs: u32,
    /// Seconds a connection may stay open with no request under way and nothing sent
    /// either way (a new connection before its first request, or a kept-alive one).
    pub idle_timeout_secs: u32,
    /// Connections served at once; further ones wait in the operating system's queue.
    pub max_connections: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_read_timeout_secs: 10,
            body_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 1024,
        }
    }
}

/// The audit log and the ledger's signed checkpoints (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// A checkpoint is written once either chain grew by this many entries...
    pub checkpoint_every_events: u64,
    /// ...or this many minutes after the last one, whichever comes first.
    pub checkpoint_every_minutes: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            checkpoint_every_events: 1000,
            checkpoint_every_minutes: 10,
        }
    }
}

impl AuditConfig {
    /// The store's checkpoint policy.
    pub fn policy(&self) -> kerro_store::CheckpointPolicy {
        kerro_store::CheckpointPolicy {
            every_entries: self.checkpoint_every_events,
            every: std::time::Duration::from_secs(u64::from(self.checkpoint_every_minutes) * 60),
        }
    }
}

/// The record of processing activities (P22, docs/registers.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RecordsConfig {
    /// The technical and organisational security measures in the company's
    /// own words (art. 30(1)(g)), beside the ones kerro states itself; at
    /// most 10000 characters.
    pub security_measures: String,
}

/// What kinds of data an installation may ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Questions of a special category (GDPR art. 9: health, beliefs, ...) may
    /// be defined (P10); off by default. Each then needs its own explicit
    /// statement on a form.
    pub special_categories: bool,
}

/// How campaigns are sent (see docs/messages.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignsConfig {
    /// The most campaign messages one node sends per second (the mail server's pace).
    pub messages_per_second: u32,
    /// Recipients claimed, checked and recorded together.
    pub batch: u32,
}

impl Default for CampaignsConfig {
    fn default() -> Self {
        CampaignsConfig {
            messages_per_second: 20,
            batch: 100,
        }
    }
}

/// Where Prometheus scrapes kerro's metrics without a token (see docs/operations.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A second listener, e.g. `127.0.0.1:9464`, that serves only `GET /metrics`, with no
    /// token: bind it to an address only the monitoring network reaches. Unset: no such
    /// listener (staff with the `metrics` permission still scrape `/metrics` on `listen`).
    /// Also `KERRO_METRICS_LISTEN`.
    pub listen: Option<SocketAddr>,
}

/// Signed webhooks (see docs/webhooks.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Accept `http://` endpoint URLs (default: only `https://`).
    pub allow_http: bool,
    /// Accept endpoints on loopback, private, link-local and other non-public
    /// addresses (default: refused when registered and again when sent to).
    pub allow_private_addresses: bool,
    /// How many endpoints may be registered.
    pub max_endpoints: u32,
    /// Seconds a receiver has to answer one delivery.
    pub timeout_secs: u32,
    /// Exact addresses allowed even though they are private and plain HTTP:
    /// only `kerro demo` sets this, for its own receiver.
    #[serde(skip)]
    pub trusted_receivers: Vec<SocketAddr>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_http: false,
            allow_private_addresses: false,
            max_endpoints: 20,
            timeout_secs: 10,
            trusted_receivers: Vec::new(),
        }
    }
}

/// The event stream: the webhooks' events published to NATS JetStream (see docs/webhooks.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// `nats://127.0.0.1:4222`; unset: no stream. Also `KERRO_NATS_URL`.
    pub nats_url: Option<String>,
    /// Events go to subject `<prefix>.<type>`, e.g. `kerro.consent.given`.
    pub subject_prefix: String,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            nats_url: None,
            subject_prefix: "kerro".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`; default `<data_dir>/kerro.db`.
    pub database: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub default_language: Lang,
    /// ISO 3166 code of the jurisdiction receipts name.
    pub jurisdiction: String,
    /// The URL kerro is reached at, for links in receipts.
    pub public_url: Option<String>,
    pub subject_token_minutes: u32,
    /// How long domain events stay in the outbox (other nodes read them within a second),
    /// and finished webhook deliveries in their list.
    pub outbox_retention_days: u32,
    pub controller: Controller,
    pub mail: MailConfig,
    pub web: WebConfig,
    pub server: ServerConfig,
    pub audit: AuditConfig,
    pub metrics: MetricsConfig,
    pub campaigns: CampaignsConfig,
    pub webhooks: WebhooksConfig,
    pub events: EventsConfig,
    pub records: RecordsConfig,
    pub privacy: PrivacyConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./kerro-data"),
            database: None,
            master_key_file: None,
            default_language: Lang::Fi,
            jurisdiction: "FI".into(),
            public_url: None,
            subject_token_minutes: 60,
            outbox_retention_days: 7,
            controller: Controller::default(),
            mail: MailConfig::default(),
            web: WebConfig::default(),
            server: ServerConfig::default(),
            audit: AuditConfig::default(),
            metrics: MetricsConfig::default(),
            campaigns: CampaignsConfig::default(),
            webhooks: WebhooksConfig::default(),
            events: EventsConfig::default(),
            records: RecordsConfig::default(),
            privacy: PrivacyConfig::default(),
        }
    }
}

/// What the command line gave (each `None` leaves the lower layers in force).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub listen: Option<SocketAddr>,
}

impl Config {
    /// Builds the configuration from all layers; `env` is passed in so tests can set it.
    pub fn load(cli: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let data_dir = cli
            .data_dir
            .clone()
            .or_else(|| env("KERRO_DATA").map(PathBuf::from))
            .unwrap_or_else(|| Config::default().data_dir);
        let file = cli
            .config_file
            .clone()
            .or_else(|| env("KERRO_CONFIG").map(PathBuf::from));
        let mut cfg = match file {
            Some(f) => read_file(&f)?,
            None => {
                let implicit = data_dir.join("kerro.toml");
                if implicit.exists() {
                    read_file(&implicit)?
                } else {
                    Config::default()
                }
            }
        };
        cfg.data_dir = data_dir;
        if let Some(v) = env("KERRO_LISTEN") {
            cfg.listen = v
                .parse()
                .with_context(|| format!("KERRO_LISTEN '{v}' is not an address"))?;
        }
        if let Some(v) = env("KERRO_METRICS_LISTEN") {
            cfg.metrics.listen = Some(
                v.parse()
                    .with_context(|| format!("KERRO_METRICS_LISTEN '{v}' is not an address"))?,
            );
        }
        if let Some(v) = env("KERRO_DATABASE_URL") {
            cfg.database = Some(v);
        }
        if let Some(v) = &cli.database {
            cfg.database = Some(v.clone());
        }
        if let Some(v) = env("KERRO_MASTER_KEY_FILE") {
            cfg.master_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("KERRO_DEFAULT_LANGUAGE") {
            cfg.default_language = Lang::parse(&v)
                .with_context(|| format!("KERRO_DEFAULT_LANGUAGE '{v}' is not fi, sv or en"))?;
        }
        if let Some(v) = env("KERRO_PUBLIC_URL") {
            cfg.public_url = Some(v);
        }
        if let Some(v) = env("KERRO_SMTP_URL") {
            cfg.mail.smtp_url = Some(v);
        }
        if let Some(path) = env("KERRO_SMTP_URL_FILE") {
            let v = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read KERRO_SMTP_URL_FILE {path}"))?;
            cfg.mail.smtp_url = Some(v.trim().to_owned());
        }
        if let Some(v) = env("KERRO_NATS_URL") {
            cfg.events.nats_url = Some(v);
        }
        if let Some(listen) = cli.listen {
            cfg.listen = listen;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.database {
            kerro_store::Location::parse(url).map_err(|e| anyhow::anyhow!("database: {e}"))?;
        }
        if self.jurisdiction.len() != 2
            || !self.jurisdiction.bytes().all(|b| b.is_ascii_uppercase())
        {
            bail!("jurisdiction must be a two-letter ISO 3166 code such as FI");
        }
        if self
            .metrics
            .listen
            .is_some_and(|m| m == self.listen && m.port() != 0)
        {
            bail!("metrics.listen must differ from listen");
        }
        if self.outbox_retention_days == 0 || self.outbox_retention_days > 3650 {
            bail!("outbox_retention_days must be between 1 and 3650");
        }
        if self.subject_token_minutes == 0 || self.subject_token_minutes > 7 * 24 * 60 {
            bail!("subject_token_minutes must be between 1 and 10080");
        }
        for (name, v) in [
            ("controller.name", &self.controller.name),
            ("controller.address", &self.controller.address),
            ("controller.email", &self.controller.email),
            ("controller.dpo", &self.controller.dpo),
        ] {
            if v.trim().is_empty() {
                bail!("{name} must not be empty");
            }
        }
        if self.records.security_measures.chars().count() > 10_000 {
            bail!("records.security_measures must be at most 10000 characters");
        }
        if let Some(url) = &self.mail.smtp_url {
            if lettre::SmtpTransport::from_url(url).is_err() {
                bail!("mail.smtp_url is not an smtp:// or smtps:// URL");
            }
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            bail!("mail.from '{}' is not an e-mail address", self.mail.from);
        }
        for (name, origins) in [
            ("web.embed_origins", &self.web.embed_origins),
            ("web.offer_origins", &self.web.offer_origins),
        ] {
            for o in origins {
                let ok = (o.starts_with("https://") || o.starts_with("http://"))
                    && !o.contains([' ', ';', '\'', '"', ','])
                    && o.trim_end_matches('/').matches('/').count() == 2
                    && axum::http::HeaderValue::from_str(o).is_ok();
                if !ok {
                    bail!("{name}: '{o}' is not an origin such as https://www.example.fi");
                }
            }
        }
        if self.web.session_minutes == 0 || self.web.session_minutes > 24 * 60 {
            bail!("web.session_minutes must be between 1 and 1440");
        }
        if self.web.login_link_minutes == 0 || self.web.login_link_minutes > 60 {
            bail!("web.login_link_minutes must be between 1 and 60");
        }
        for (name, v, max) in [
            (
                "web.form_posts_per_minute",
                self.web.form_posts_per_minute,
                100_000,
            ),
            (
                "web.sign_in_requests_per_minute",
                self.web.sign_in_requests_per_minute,
                100_000,
            ),
            (
                "web.invite_posts_per_minute",
                self.web.invite_posts_per_minute,
                100_000,
            ),
            (
                "web.second_factor_checks_per_minute",
                self.web.second_factor_checks_per_minute,
                100_000,
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs,
                3600,
            ),
            (
                "server.body_timeout_secs",
                self.server.body_timeout_secs,
                3600,
            ),
            (
                "server.idle_timeout_secs",
                self.server.idle_timeout_secs,
                3600,
            ),
            (
                "server.max_connections",
                self.server.max_connections,
                1_000_000,
            ),
        ] {
            if v == 0 || v > max {
                bail!("{name} must be between 1 and {max}");
            }
        }
        for (name, v) in [
            (
                "campaigns.messages_per_second",
                self.campaigns.messages_per_second,
            ),
            ("campaigns.batch", self.campaigns.batch),
        ] {
            if v == 0 || v > 10_000 {
                bail!("{name} must be between 1 and 10000");
            }
        }
        let every = self.audit.checkpoint_every_events;
        if every == 0 || every > 10_000_000 {
            bail!("audit.checkpoint_every_events must be between 1 and 10000000");
        }
        let minutes = self.audit.checkpoint_every_minutes;
        if minutes == 0 || minutes > 7 * 24 * 60 {
            bail!("audit.checkpoint_every_minutes must be between 1 and 10080");
        }
        self.validate_webhooks()
    }

    fn validate_webhooks(&self) -> anyhow::Result<()> {
        let w = &self.webhooks;
        if w.max_endpoints == 0 || w.max_endpoints > 1000 {
            bail!("webhooks.max_endpoints must be between 1 and 1000");
        }
        if w.timeout_secs == 0 || w.timeout_secs > 60 {
            bail!("webhooks.timeout_secs must be between 1 and 60");
        }
        if let Some(url) = &self.events.nats_url {
            if !(url.starts_with("nats://") || url.starts_with("tls://")) || url.contains(' ') {
                bail!("events.nats_url must be a nats:// or tls:// URL");
            }
        }
        let prefix = &self.events.subject_prefix;
        let token_ok = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !prefix.split('.').all(token_ok) {
            bail!("events.subject_prefix must be NATS subject tokens such as kerro or acme.kerro");
        }
        Ok(())
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

fn read_file(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config {} is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn layers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kerro.toml"),
            "listen = \"127.0.0.1:9000\"\njurisdiction = \"SE\"\n[controller]\nname = \"Turvakide Oy\"\naddress = \"a\"\nemail = \"e@x.fi\"\ndpo = \"d@x.fi\"\n",
        )
        .unwrap();
        let env: HashMap<&str, String> =
            HashMap::from([("KERRO_LISTEN", "127.0.0.1:9100".to_string())]);
        let get = |k: &str| env.get(k).cloned();
        let cli = Overrides {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        let cfg = Config::load(&cli, &get).unwrap();
        assert_eq!(cfg.jurisdiction, "SE");
        assert_eq!(cfg.controller.name, "Turvakide Oy");
        assert_eq!(cfg.listen.port(), 9100, "env beats file");
        let cli = Overrides {
            listen: Some("127.0.0.1:9200".parse().unwrap()),
            ..cli
        };
        assert_eq!(
            Config::load(&cli, &get).unwrap().listen.port(),
            9200,
            "flag beats env"
        );
    }

    #[test]
    fn checkpoints_come_from_the_audit_section() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Overrides {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        let defaults = Config::load(&cli, &|_| None).unwrap().audit.policy();
        assert_eq!(defaults.every_entries, 1000);
        assert_eq!(defaults.every, std::time::Duration::from_secs(600));
        let file = dir.path().join("kerro.toml");
        std::fs::write(
            &file,
            "[audit]\ncheckpoint_every_events = 50\ncheckpoint_every_minutes = 2\n",
        )
        .unwrap();
        let policy = Config::load(&cli, &|_| None).unwrap().audit.policy();
        assert_eq!(policy.every_entries, 50);
        assert_eq!(policy.every, std::time::Duration::from_secs(120));
        for bad in [
            "checkpoint_every_events = 0",
            "checkpoint_every_minutes = 0",
        ] {
            std::fs::write(&file, format!("[audit]\n{bad}\n")).unwrap();
            let e = Config::load(&cli, &|_| None).unwrap_err().to_string();
            assert!(e.contains("audit.checkpoint_every_"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_metrics_listener_is_off_unless_configured() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Overrides {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        assert_eq!(Config::load(&cli, &|_| None).unwrap().metrics.listen, None);
        std::fs::write(
            dir.path().join("kerro.toml"),
            "[metrics]\nlisten = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        let cfg = Config::load(&cli, &|_| None).unwrap();
        assert_eq!(cfg.metrics.listen, Some("127.0.0.1:9464".parse().unwrap()));
        let env =
            |v: &'static str| move |k: &str| (k == "KERRO_METRICS_LISTEN").then(|| v.to_owned());
        let cfg = Config::load(&cli, &env("127.0.0.1:9465")).unwrap();
        assert_eq!(
            cfg.metrics.listen.map(|a| a.port()),
            Some(9465),
            "env beats file"
        );
        assert!(Config::load(&cli, &env("nine")).is_err());
        assert!(
            Config::load(&cli, &env("127.0.0.1:8080")).is_err(),
            "not the API's own address"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kerro.toml"), "colour = \"red\"\n").unwrap();
        let cli = Overrides {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        assert!(Config::load(&cli, &|_| None).is_err());
    }
}
