//! The command line: `serve`, `demo`, `token create`, `ledger verify`, `audit verify`,
//! `retention run`, and the rest `kerro --help` lists.
//! Every command that opens the store takes the same `--data DIR`.

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use kerro_core::{Actor, Role};
use kerro_store::{Store, StoreOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{router, system_clock, AppState};
use crate::config::{Config, Overrides};

#[derive(Parser, Debug)]
#[command(
    name = "kerro",
    version,
    about = "Zero-party data: declared data, purpose-bound consent, self-service rights"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct StoreArgs {
    /// Data directory (database, master key); default ./kerro-data, or KERRO_DATA.
    #[arg(long = "data", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Configuration file; default <data>/kerro.toml when it exists, or KERRO_CONFIG.
    #[arg(long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB; default sqlite://<data>/kerro.db,
    /// or KERRO_DATABASE_URL, or `database` in the configuration file.
    #[arg(long = "database", value_name = "URL")]
    database: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on; default 127.0.0.1:8080, or KERRO_LISTEN.
    #[arg(long = "listen", value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Serve a demo workspace (a cybersecurity company's B2B survey and a B2C newsletter) with synthetic subjects.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// How many synthetic subjects to create on first start.
        #[arg(long, default_value_t = 300)]
        subjects: usize,
    },
    /// Staff API tokens for programs.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Named staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The consent ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Import declared data from another preference centre: NDJSON, one record per line
    /// (see docs/import.md). Records without provenance or consent evidence are refused and reported.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// The NDJSON file to read.
        file: PathBuf,
        /// Records per transaction.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
    },
    /// The database itself: moving an installation between backends.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Storage limitation: delete what has outlived its retention, expire old consents.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Targeting conditions (GrowthBook's condition language).
    Condition {
        #[command(subcommand)]
        command: ConditionCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ConditionCommand {
    /// Read JSON lines {"condition", "attributes", "savedGroups"} on stdin and print
    /// `true` or `false` per line, or `error: ...` for a line that is not such an object.
    Eval,
}

#[derive(Subcommand, Debug)]
enum RetentionCommand {
    /// Run the retention job once (as every serving node does hourly) and print
    /// what it deleted or expired, by purpose and kind.
    Run {
        #[command(flatten)]
        store: StoreArgs,
        /// The moment to run at instead of now (RFC 3339), for tests and audits.
        #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
        now: Option<chrono::DateTime<Utc>>,
    },
}

fn parse_now(raw: &str) -> Result<chrono::DateTime<Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time such as 2027-01-31T12:00:00Z: {e}"))
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Copy a whole installation into a new, empty database (e.g. SQLite to PostgreSQL),
    /// then check every table's row count and the ledger and audit hash chains on the copy.
    /// Ciphertexts are copied as they are: the copy needs the same master key.
    Copy {
        #[command(flatten)]
        store: StoreArgs,
        /// Source database URL (sqlite://PATH or postgres://...).
        #[arg(long, value_name = "URL")]
        from: String,
        /// Target database URL; it must be empty.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Remove the subjects whose data key is gone from the key store (P13): what a
    /// database backup taken before an erasure brings back when restored. A server
    /// does this at start too. Prints how many, and their ids.
    CheckErasures {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a staff API token and print it once; only its hash is stored.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// admin, editor, support, service or dpo.
        #[arg(long)]
        role: String,
        /// A note on who or what holds the token.
        #[arg(long, default_value = "created with kerro token create")]
        label: String,
        /// Days until it expires: 1 to 365.
        #[arg(long, default_value_t = kerro_core::staff::TOKEN_DEFAULT_DAYS)]
        expires_in_days: u32,
    },
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Invite a person: creates the account and prints a one-time invite link (72 h)
    /// with which they set a password and enrol their second factor.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
        /// admin, editor, support, service or dpo.
        #[arg(long)]
        role: String,
        /// The display name; default: the e-mail address.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum LedgerCommand {
    /// Walk the hash chain and check it against its signed checkpoints; exit 1
    /// naming each problem (a broken link, a removed tail, a rewritten chain, a forged checkpoint).
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// A copy of the checkpoints kept elsewhere (a saved GET /v1/checkpoints); may be repeated.
        #[arg(long = "checkpoints", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KERRO_LOG")
                .unwrap_or_else(|_| "kerro=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Opens the store for a server: metrics are recorded from the start (the
/// demo's seeding and the bootstrap token count too).
fn load(store: &StoreArgs, listen: Option<SocketAddr>) -> anyhow::Result<(Config, Store)> {
    let _ = crate::telemetry::handle();
    open_store(store, listen, true)
}

/// Opens the store; `index` loads the in-memory profile and audience index (only a server needs it).
fn open_store(
    store: &StoreArgs,
    listen: Option<SocketAddr>,
    index: bool,
) -> anyhow::Result<(Config, Store)> {
    let cfg = Config::load(
        &Overrides {
            config_file: store.config.clone(),
            data_dir: store.data.clone(),
            database: store.database.clone(),
            listen,
        },
        &env,
    )?;
    let opts = StoreOptions {
        data_dir: cfg.data_dir.clone(),
        master_key_file: cfg.master_key_file.clone(),
        default_lang: cfg.default_language,
        index,
        database: cfg.database.clone(),
    };
    let store = Store::open(&opts).with_context(|| match &cfg.database {
        Some(url) => format!(
            "cannot open the store at {}",
            kerro_store::Location::parse(url)
                .map(|l| l.display())
                .unwrap_or_default()
        ),
        None => format!("cannot open the store in {}", cfg.data_dir.display()),
    })?;
    Ok((cfg, store))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let (cfg, store) = load(&args.store, args.listen)?;
            bootstrap_admin(&store)?;
            serve(cfg, store, None)
        }
        Command::Demo {
            serve: args,
            subjects,
        } => {
            let (mut cfg, store) = load(&args.store, args.listen)?;
            cfg.mail.print_links = true;
            if cfg.records.security_measures.is_empty() {
                cfg.records.security_measures =
                    crate::demo::registers::SECURITY_MEASURES.to_owned();
            }
            if cfg.controller == crate::config::Controller::default() {
                cfg.controller = crate::demo::controller();
            }
            bootstrap_admin(&store)?;
            let seed = crate::demo::seed(&store, Utc::now(), subjects)?;
            let now = Utc::now();
            let (_, admin) = store.create_staff_token(
                &Actor::System("demo".into()),
                now,
                Role::Admin,
                "demo admin",
            )?;
            let ttl = chrono::Duration::minutes(i64::from(cfg.subject_token_minutes));
            let (subject_token, _) = store.issue_subject_token(
                &Actor::System("demo".into()),
                now,
                &seed.sample_subject,
                ttl,
                None,
            )?;
            let (web_token, _) = store.issue_subject_token(
                &Actor::System("demo".into()),
                now,
                &seed.sample_subject,
                ttl,
                None,
            )?;
            let staff_banner = crate::demo::invite_staff(&store, now, &cfg.public_url())?;
            let campaign_banner =
                crate::demo_offers::campaign(&store, now, &cfg.data_dir.join("outbox"))?
                    .replace("<API>", &cfg.public_url());
            let registers_banner = crate::demo::registers::rights_request(
                &store,
                now,
                &seed.sample_subject,
                &cfg.public_url(),
            )?;
            // A receiver that verifies each signed event and prints it (this one address only
            // is allowed although it is local and plain HTTP).
            let receiver = crate::demo_webhook::Receiver::bind()?;
            let hook_url = receiver.url();
            cfg.webhooks.trusted_receivers.push(receiver.addr);
            receiver.register_and_serve(&store, now)?;
            let banner = format!(
                "kerro demo: {} subjects\n  API:           {url}\n  OpenAPI:       {url}/openapi.json\n  metrics:       {url}/metrics  (with the admin token; or set metrics.listen)\n  admin token:   {admin}\n  subject token: {subject_token}  (subject {})\n  try:           curl -H 'Authorization: Bearer {subject_token}' {url}/v1/me\n  webhooks:      every event is signed and sent to {hook_url}, which prints each one it verified\n{}{staff_banner}{campaign_banner}{registers_banner}",
                seed.subjects.len(),
                seed.sample_subject,
                crate::demo::web_banner(&cfg.public_url(), &web_token),
                url = cfg.public_url(),
            );
            serve(cfg, store, Some(banner))
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    store,
                    role,
                    label,
                    expires_in_days,
                },
        } => {
            let role = parse_role(&role)?;
            let (_, store) = open_store(&store, None, false)?;
            let (token, secret) = store.create_api_token(
                &Actor::System("cli".into()),
                Utc::now(),
                &label,
                role,
                Some(expires_in_days),
                None,
            )?;
            eprintln!(
                "created {} token {} ({}), expires {}; it is shown only now:",
                token.role, token.id, token.name, token.expires_at
            );
            println!("{secret}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff {
            command:
                StaffCommand::Create {
                    store,
                    email,
                    role,
                    name,
                },
        } => {
            let role = parse_role(&role)?;
            let (cfg, store) = open_store(&store, None, false)?;
            let name = name.unwrap_or_else(|| email.clone());
            let invited = store.create_staff(
                &Actor::System("cli".into()),
                Utc::now(),
                &email,
                &name,
                role,
            )?;
            eprintln!(
                "invited {} ({}) as {}; the link works once, until {}:",
                invited.account.name, invited.account.id, role, invited.expires_at
            );
            println!("{}/admin/invite?token={}", cfg.public_url(), invited.secret);
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger {
            command: LedgerCommand::Verify { store, checkpoints },
        } => verify(&store, kerro_store::Chain::Ledger, &checkpoints),
        Command::Audit {
            command: LedgerCommand::Verify { store, checkpoints },
        } => verify(&store, kerro_store::Chain::Audit, &checkpoints),
        Command::Import { store, file, batch } => {
            let (_, store) = open_store(&store, None, false)?;
            let report = crate::import::run(&store, &file, batch.max(1))?;
            eprintln!("{report}");
            Ok(if report.refused.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Db {
            command: DbCommand::Copy { store, from, to },
        } => crate::db_copy::run(&store.data, &store.config, &from, &to),
        Command::Db {
            command: DbCommand::CheckErasures { store },
        } => {
            let (_, store) = open_store(&store, None, false)?;
            let removed = store.check_erasures(&Actor::System("key-store".into()), Utc::now())?;
            println!(
                "{} subject(s) without a data key removed (erased after the backup this database came from)",
                removed.len()
            );
            for id in &removed {
                println!("{id}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Retention {
            command: RetentionCommand::Run { store, now },
        } => {
            let (_, store) = open_store(&store, None, false)?;
            let report = crate::retention::run_once(&store, now.unwrap_or_else(Utc::now))?;
            print!("{}", crate::retention::render(&report));
            Ok(if report.skipped {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Condition {
            command: ConditionCommand::Eval,
        } => {
            crate::condition_eval::run(std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `kerro ledger verify` / `kerro audit verify` (see `verify.rs`).
fn verify(
    store: &StoreArgs,
    chain: kerro_store::Chain,
    copies: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let copies = copies
        .iter()
        .map(|p| crate::verify::read_copy(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (_, store) = open_store(store, None, false)?;
    crate::verify::run(&store, chain, &copies)
}

fn parse_role(raw: &str) -> anyhow::Result<Role> {
    Role::parse(raw)
        .with_context(|| format!("unknown role '{raw}': admin, editor, support, service or dpo"))
}

/// `KERRO_ADMIN_TOKEN`: an admin API token with that value, to bootstrap the
/// first admin account (`POST /v1/staff`). It stops working once an admin account is active.
fn bootstrap_admin(store: &Store) -> anyhow::Result<()> {
    if let Some(secret) = env("KERRO_ADMIN_TOKEN") {
        if store.ensure_bootstrap_token(Utc::now(), &secret)? {
            tracing::info!("created the bootstrap admin token given in KERRO_ADMIN_TOKEN; it stops working once an admin account is active");
        }
    }
    Ok(())
}

fn serve(cfg: Config, store: Store, banner: Option<String>) -> anyhow::Result<ExitCode> {
    // A changed identity or security text makes a new version of the record (P22).
    store
        .note_records_context(
            &Actor::System("serve".into()),
            Utc::now(),
            crate::web::records_documents::context(&cfg),
        )
        .context("cannot note the configuration in the record of processing activities")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("cannot listen on {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        // The real address, so tests can bind port 0 and read it back.
        println!("listening on http://{addr}");
        let metrics_listener = match cfg.metrics.listen {
            Some(at) => {
                let l = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {at}"))?;
                println!("metrics on http://{}/metrics", l.local_addr()?);
                Some(l)
            }
            None => None,
        };
        // With port 0, links (sign-in e-mails, receipts, the banner) must name the real port.
        let mut cfg = cfg;
        let planned_url = cfg.public_url();
        cfg.listen = addr;
        if let Some(b) = banner {
            println!("{}", b.replace(&planned_url, &cfg.public_url()));
        }
        let retention = i64::from(cfg.outbox_retention_days);
        let state = AppState {
            store,
            config: Arc::new(cfg),
            clock: system_clock(),
        };
        // Signed checkpoints of the ledger and the audit log (every node may
        // write them; a head already checkpointed by another node is skipped).
        state
            .store
            .start_checkpoints(state.config.audit.policy(), state.clock.clone());
        // Storage limitation and consent expiry, hourly (one node at a time).
        crate::retention::start(&state);
        // Due campaigns are started and sent (one node sends each recipient's message).
        crate::web::CampaignSender::start(state.clone());
        // Webhooks (every node runs a dispatcher; each event is fanned out
        // and each delivery claimed under the write lock, so once) and the
        // optional event stream to NATS JetStream.
        let _webhooks = crate::webhooks::Dispatcher::start(crate::webhooks::Options::new(&state))
            .context("cannot start the webhook dispatcher")?;
        let _events = match &state.config.events.nats_url {
            Some(url) => Some(
                crate::events::Publisher::start(crate::events::Options {
                    store: state.store.clone(),
                    url: url.clone(),
                    prefix: state.config.events.subject_prefix.clone(),
                    clock: state.clock.clone(),
                })
                .context("cannot start the event stream")?,
            ),
            None => None,
        };
        // Outbox events older than the retention are pruned hourly (every node
        // may do it; deleting what another node already deleted is harmless),
        // and each saved audience's size is written down once a day.
        let pruning = state.store.clone();
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                let store = pruning.clone();
                let pruned = tokio::task::spawn_blocking(move || {
                    let before = kerro_core::time::days_before(Utc::now(), retention);
                    // Finished webhook deliveries are kept as long as the events.
                    store.prune_webhook_deliveries(before)?;
                    store.prune_outbox(before)
                })
                .await;
                match pruned {
                    Ok(Ok(n)) if n > 0 => tracing::info!("pruned {n} outbox events"),
                    Ok(Err(e)) => tracing::warn!("cannot prune the outbox: {e}"),
                    _ => {}
                }
                // Each saved audience's size, once a day, for its chart.
                let store = pruning.clone();
                let noted =
                    tokio::task::spawn_blocking(move || store.note_audience_sizes(Utc::now()))
                        .await;
                if let Ok(Err(e)) = noted {
                    tracing::warn!("cannot write down the saved audiences' sizes: {e}");
                }
            }
        });
        let limits = state.config.server.clone();
        if let Some(listener) = metrics_listener {
            // The same limits against slow clients; it stops with the process.
            let limits = limits.clone();
            tokio::spawn(async move {
                let shutdown = std::future::pending::<()>();
                let served =
                    crate::server::serve(listener, crate::telemetry::router(), &limits, shutdown);
                if let Err(e) = served.await {
                    tracing::error!("the metrics listener failed: {e}");
                }
            });
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        crate::server::serve(listener, router(state), &limits, shutdown)
            .await
            .context("server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}
