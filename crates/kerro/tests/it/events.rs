//! The event stream against the real NATS server on this machine
//! (`KERRO_TEST_NATS_URL`, default `nats://127.0.0.1:4222`, with JetStream).
//! Without a reachable server the test says SKIPPED, unless
//! `KERRO_REQUIRE_NATS=1` (as in CI), when it fails.

use kerro::events::{publish, Options, Publisher};
use std::time::{Duration, Instant};

use crate::common::TestApp;

async fn connect(test: &str) -> Option<async_nats::Client> {
    let url = std::env::var("KERRO_TEST_NATS_URL").unwrap_or("nats://127.0.0.1:4222".into());
    let connected = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .connect(url.as_str());
    let client = tokio::time::timeout(Duration::from_secs(3), connected).await;
    match client {
        Ok(Ok(c)) => Some(c),
        _ => {
            assert!(
                std::env::var("KERRO_REQUIRE_NATS").as_deref() != Ok("1"),
                "{test}: KERRO_REQUIRE_NATS=1 but no NATS server answers at {url}"
            );
            eprintln!("SKIPPED: {test}: no NATS server at {url}");
            None
        }
    }
}

fn opts(app: &TestApp, prefix: &str) -> Options {
    Options {
        store: app.store.clone(),
        url: std::env::var("KERRO_TEST_NATS_URL").unwrap_or("nats://127.0.0.1:4222".into()),
        prefix: prefix.to_owned(),
        clock: app.state.clock.clone(),
    }
}

/// Waits (10 s at most) until the stream holds `n` messages.
async fn wait_for_messages(stream: &mut async_nats::jetstream::stream::Stream, n: u64) {
    let started = Instant::now();
    loop {
        let have = stream.info().await.unwrap().state.messages;
        if have >= n {
            assert_eq!(have, n, "no more than the events");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{have} of {n} messages in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn events_reach_jetstream_once_each_and_resume_after_a_restart() {
    let test = "events::events_reach_jetstream_once_each_and_resume_after_a_restart";
    let Some(client) = connect(test).await else {
        return;
    };
    let Some(app) = TestApp::start() else { return };
    let js = async_nats::jetstream::new(client);
    // A stream of this test's own, so runs do not see each other's events.
    let prefix = format!("kerrotest{}", std::process::id());
    let name = prefix.to_uppercase();
    let _ = js.delete_stream(&name).await;
    let mut stream = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: name.clone(),
            subjects: vec![format!("{prefix}.>")],
            ..Default::default()
        })
        .await
        .unwrap();

    let publisher = Publisher::start(opts(&app, &prefix)).unwrap();
    app.schema().await;
    let (subject, _) = app.answered_subject("stream@example.fi").await;
    let mapped = |app: &TestApp| {
        app.store
            .outbox_since(0, 10_000)
            .unwrap()
            .into_iter()
            .filter(|e| kerro_store::event_type(e).is_some())
            .collect::<Vec<_>>()
    };
    let events = mapped(&app);
    // subject.created, consent.given, consent.refused, declaration.changed
    assert!(events.len() >= 4, "{events:?}");
    wait_for_messages(&mut stream, events.len() as u64).await;

    // Each message: `<prefix>.<type>`, the outbox number as Nats-Msg-Id, ids only.
    for (i, e) in events.iter().enumerate() {
        let m = stream.get_raw_message(i as u64 + 1).await.unwrap();
        let kind = kerro_store::event_type(e).unwrap();
        assert_eq!(m.subject.as_str(), format!("{prefix}.{kind}"));
        let id = m
            .headers
            .get(async_nats::header::NATS_MESSAGE_ID)
            .unwrap()
            .as_str()
            .to_owned();
        assert_eq!(id, e.seq.to_string());
        let body: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(body["type"], kind);
        assert_eq!(body["data"]["subject"], subject.as_str());
        let text = String::from_utf8_lossy(&m.payload);
        for personal in ["stream@", "example.fi", "large", "cloud"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }

    // Publishing an event again (a node that restarted before moving its
    // cursor, or a second node) is dropped by JetStream as a duplicate.
    let first = &events[0];
    let body = kerro_store::event_body(first).unwrap().to_string();
    let kind = kerro_store::event_type(first).unwrap();
    assert!(publish(&js, &prefix, kind, first.seq, body).await.unwrap());
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        events.len() as u64
    );

    // Stopped, then started again: it resumes after what it published.
    drop(publisher);
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.subject("later@example.fi").await;
    let _again = Publisher::start(opts(&app, &prefix)).unwrap();
    let all = mapped(&app);
    assert_eq!(all.len(), events.len() + 1);
    wait_for_messages(&mut stream, all.len() as u64).await;
    // The cursor moves once JetStream acknowledged (just after the message lands).
    let newest = app
        .store
        .outbox_since(0, 10_000)
        .unwrap()
        .last()
        .unwrap()
        .seq;
    let started = Instant::now();
    while app.store.stream_cursor(kerro::events::CURSOR).unwrap() != newest {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cursor did not move"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    js.delete_stream(&name).await.unwrap();
}
