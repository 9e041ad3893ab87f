-- The database's own work for one new fact, as intake's writer sends it
-- (services/intake/src/writer/fast.rs): ONE autocommitted statement that
-- moves the chain head (only if it is still where the writer left it),
-- appends the caller's audit entry, and inserts the fact, its revision and
-- its two officers (the unary benchmark's facts: a matter, 332 payload bytes,
-- two officers, no findings) into the tables `probity migrate` made, with all
-- their indexes. scripts/bench-intake.sh runs it with pgbench -M prepared, so
-- it measures PostgreSQL alone: no gRPC, no checks, no Rust.
--   -D own=0   every client moves head row 1: one chain, as intake has (but
--              one fact per statement: no group commit)
--   -D own=1   each client moves its own head row: what a chain per client
--              could reach at best
\set head 1 + :own * (:client_id + 1)
WITH moved AS (
  UPDATE intake_audit_head SET seq = seq + 1, hash = md5(random()::text),
         mac = md5(clock_timestamp()::text)
  WHERE id = :head AND seq >= 0
  RETURNING seq * 1000 + :head AS k
), audited AS (
  INSERT INTO intake_audit_entries (seq, at_us, actor, role, method, entity, change, digest, prev_hash, hash)
  SELECT k, 1795872966746314, 'dev', 'legal_office', '/probity.intake.v1.IntakeService/SubmitFact', 'facts',
         '{"first_fact":"facts/' || k || '","last_fact":"facts/' || k || '","list_sha256":"8013326944c47e9ac1f3fa1e8a346b08d17d9338ec1b9d45a1e608a1e443dc70","op":"record_facts","revisions":1}',
         md5(k::text) || md5('d'), md5('p') || md5('p'), md5(k::text) || md5('h')
  FROM moved
), i0 AS (
  INSERT INTO intake_facts (id, body, body_path, source_id, kind, revision, voided, occurred_us, recorded_us)
  SELECT k, '01a2225eb4b97198b2ef2b3738cb678b', '/01a2225eb4b6779fb063a2efe08cd0eb/01a2225eb4b97198b2ef2b3738cb678b/',
         'UM' || k, 1, 1, false, 1793280996447172 + k, 1795872966746316
  FROM moved
), i1 AS (
  INSERT INTO intake_revisions (fact_id, revision, kind, body, payload, digest, reason, voided, actor, role, occurred_us, recorded_us, audit_seq)
  SELECT k, 1, 1, '01a2225eb4b97198b2ef2b3738cb678b', decode(repeat('0a1b', 166), 'hex'), md5(k::text) || md5('r'),
         '', false, 'dev', 'legal_office', 1793280996447172 + k, 1795872966746316, k
  FROM moved
), i2 AS (
  INSERT INTO intake_fact_officers (fact_id, revision, officer, occurred_us)
  SELECT k, 1, o, 1793280996447172 + k
  FROM moved, UNNEST(ARRAY['01a2225eb4c07e8e9a7b4f1d2c3e4f50', '01a2225eb4c07e8e9a7b4f1d2c3e4f51']) o
)
SELECT COUNT(*) FROM moved;
