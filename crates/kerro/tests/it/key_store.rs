//! P13, erasure that reaches backups: the data keys live in a key store apart
//! from the database, so a database backup taken before an erasure, once
//! restored, cannot be read for the erased subject, and its rows are removed
//! (by `kerro db check-erasures`, and at a server's start).

use kerro_core::{Actor, SubjectId};
use kerro_store::{Store, StoreOptions};
use std::path::Path;
use std::process::Command;

use crate::common::{Backend, TestApp};

/// A backup of the main database without the key store, in the form `restore` takes.
enum Backup {
    Sqlite(std::path::PathBuf),
    Postgres(std::path::PathBuf),
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn backup(app: &TestApp, to: &Path) -> Backup {
    match app.backend {
        Backend::Sqlite => {
            let file = to.join("kerro.db");
            app.sql()
                .execute("VACUUM main INTO ?1", [file.to_string_lossy().into_owned()])
                .unwrap();
            Backup::Sqlite(file)
        }
        Backend::Postgres => {
            let file = to.join("main.dump");
            run(Command::new("pg_dump")
                .args(["--format=custom", "--exclude-schema=kerro_keys", "--file"])
                .arg(&file)
                .arg(app.database.as_ref().unwrap()));
            Backup::Postgres(file)
        }
    }
}

/// A new installation in `dir` from the database backup and the key store as
/// it is now (backed up on its own schedule, after the erasure), with the
/// same master key. Returns the database URL on PostgreSQL (and the database,
/// dropped with it).
fn restore(
    app: &TestApp,
    b: &Backup,
    dir: &Path,
) -> (Option<String>, Option<crate::pg_support::PgDatabase>) {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["master.key", "checkpoint.key", "receipt.key"] {
        std::fs::copy(app.data_dir.join(f), dir.join(f)).unwrap();
    }
    match b {
        Backup::Sqlite(file) => {
            std::fs::copy(file, dir.join("kerro.db")).unwrap();
            let keys = kerro_store::key_store_path(&dir.join("kerro.db"));
            app.sql()
                .execute(
                    "VACUUM kerro_keys INTO ?1",
                    [keys.to_string_lossy().into_owned()],
                )
                .unwrap();
            (None, None)
        }
        Backup::Postgres(file) => {
            let keys = dir.join("keys.dump");
            run(Command::new("pg_dump")
                .args(["--format=custom", "--schema=kerro_keys", "--file"])
                .arg(&keys)
                .arg(app.database.as_ref().unwrap()));
            let db = crate::pg_support::fresh_database().unwrap();
            for dump in [file, &keys] {
                run(Command::new("pg_restore")
                    .args(["--no-owner", "--dbname", &db.url])
                    .arg(dump));
            }
            (Some(db.url.clone()), Some(db))
        }
    }
}

fn open(dir: &Path, database: &Option<String>, index: bool) -> Store {
    let mut opts = StoreOptions::new(dir);
    opts.database = database.clone();
    opts.index = index;
    Store::open(&opts).unwrap()
}

/// The subjects and erasures rows of the installation in `dir`, after checking
/// that `id` (the erased subject) cannot be read there.
fn rows_of(store: &Store, dir: &Path, database: &Option<String>, id: &SubjectId) -> (i64, i64) {
    let actor = Actor::System("test".into());
    assert!(
        store.subject_data(&actor, chrono::Utc::now(), id).is_err(),
        "the erased subject's data was readable"
    );
    let location = match database {
        Some(url) => kerro_store::Location::parse(url).unwrap(),
        None => kerro_store::Location::Sqlite(dir.join("kerro.db")),
    };
    let counts =
        kerro_store::table_counts(&kerro_store::connect(&location, true).unwrap()).unwrap();
    let get = |t: &str| counts.iter().find(|(n, _)| n == t).map_or(0, |(_, c)| *c);
    (get("subjects"), get("erasures"))
}

#[tokio::test]
async fn a_backup_from_before_an_erasure_cannot_be_read_for_that_subject_once_restored() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (gone, _) = app.answered_subject("gone@example.fi").await;
    let (kept, _) = app.answered_subject("kept@example.fi").await;
    let (gone, kept) = (
        SubjectId::parse(&gone).unwrap(),
        SubjectId::parse(&kept).unwrap(),
    );
    let work = tempfile::tempdir().unwrap();
    let b = backup(&app, work.path());
    let now = *app.clock.lock().unwrap();
    app.store
        .erase(&Actor::System("test".into()), now, &gone)
        .unwrap();

    // Restored and checked by hand: the erased subject cannot be read, then is removed.
    let first = work.path().join("restored");
    let (url, _db) = restore(&app, &b, &first);
    let restored = open(&first, &url, false);
    let actor = Actor::System("test".into());
    assert!(restored.subject_data(&actor, now, &kept).is_ok());
    assert_eq!(
        rows_of(&restored, &first, &url, &gone),
        (2, 0),
        "both subjects' rows came back"
    );
    drop(restored);
    let mut cli = Command::new(env!("CARGO_BIN_EXE_kerro"));
    cli.args(["db", "check-erasures", "--data"]).arg(&first);
    if let Some(u) = &url {
        cli.args(["--database", u]);
    }
    let out = cli.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("1 subject(s)"), "{text}");
    assert!(text.contains(gone.as_str()), "{text}");
    let after = open(&first, &url, false);
    assert_eq!(
        rows_of(&after, &first, &url, &gone),
        (1, 1),
        "the subject is gone and its erasure recorded"
    );
    assert!(after.subject_data(&actor, now, &kept).is_ok());
    assert!(after.verify_ledger().unwrap().is_ok());
    drop(after);

    // A server started on the restored backup does the same by itself.
    let second = work.path().join("started");
    let (url, _db2) = restore(&app, &b, &second);
    let server = open(&second, &url, true);
    assert_eq!(rows_of(&server, &second, &url, &gone), (1, 1));
    assert!(server.subject_data(&actor, now, &kept).is_ok());
    assert!(server.profile(&kept).is_ok());
}
