-- One submission as kerro's ingest example sends it (topics ["cloud","ot"],
-- a size, consent to "news"): a declarations row and a consent row, in one
-- transaction, committed with synchronous_commit = on. One subject per client.
\set size random(10, 509)
BEGIN;
INSERT INTO bench_declarations (subject_id, form, notice_version, answers, given_at)
  VALUES ('sub_' || lpad(:client_id::text, 26, '0'), 'f', 1,
          jsonb_build_object('topics', jsonb_build_array('cloud', 'ot'), 'size', (:size)::int), now());
INSERT INTO bench_consents (record_id, subject_id, purpose, state, form, notice_version, at)
  VALUES ('rec_' || md5(random()::text || clock_timestamp()::text), 'sub_' || lpad(:client_id::text, 26, '0'),
          'news', 'given', 'f', 1, now());
END;
