//! The store's metrics: their names, what each measures, and the small
//! helpers the writer, the follower and the decision and audience calls
//! record them with, through the `metrics` facade. Installing a recorder and
//! serving what it holds is the binary's; without one, recording costs next
//! to nothing (the one-shot commands and this crate's tests have none).

use std::time::Instant;

use metrics::{describe_gauge, describe_histogram, Unit};

/// Jobs per group-commit transaction.
pub const WRITER_BATCH_SIZE: &str = "kerro_writer_batch_size";
/// How long a group-commit transaction's COMMIT took.
pub const WRITER_COMMIT_SECONDS: &str = "kerro_writer_commit_seconds";
/// How many events of other nodes (and other processes) the follower has yet to apply, as of its last look.
pub const FOLLOWER_LAG_EVENTS: &str = "kerro_follower_lag_events";
/// How long the store's decision call took.
pub const DECISION_SECONDS: &str = "kerro_decision_seconds";
/// How long an audience's look-up in the bitmap index took.
pub const AUDIENCE_SECONDS: &str = "kerro_audience_seconds";

/// Gives the store's metrics their help texts and units; call it once the
/// recorder is installed.
pub fn describe() {
    describe_histogram!(
        WRITER_BATCH_SIZE,
        Unit::Count,
        "Write jobs in one group-commit transaction."
    );
    describe_histogram!(
        WRITER_COMMIT_SECONDS,
        Unit::Seconds,
        "Time the COMMIT of one group-commit transaction took (the durable flush)."
    );
    describe_gauge!(
        FOLLOWER_LAG_EVENTS,
        Unit::Count,
        "Outbox events of other nodes or processes this node has not applied yet, as of the follower's last look (every 250 ms, or on NOTIFY)."
    );
    describe_histogram!(
        DECISION_SECONDS,
        Unit::Seconds,
        "Time the store took to decide (profile, catalogue, caps), without the HTTP around it."
    );
    describe_histogram!(
        AUDIENCE_SECONDS,
        Unit::Seconds,
        "Time an audience count or export took to look up its subjects in the bitmap index."
    );
}

/// Records the seconds since `started` in the histogram `name`.
pub(crate) fn seconds_since(name: &'static str, started: Instant) {
    metrics::histogram!(name).record(started.elapsed().as_secs_f64());
}

/// Records, when dropped, the seconds since it was made in the histogram
/// `name`: a call's every way out is timed.
pub(crate) struct Timer {
    name: &'static str,
    started: Instant,
}

impl Timer {
    pub(crate) fn start(name: &'static str) -> Timer {
        Timer {
            name,
            started: Instant::now(),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        seconds_since(self.name, self.started);
    }
}
