// Package migrator runs a golang-migrate directory across releases, each
// migration in its phase: expand before the deploy, backfill in batches
// while both releases serve traffic, contract only once a release later
// than the one that introduced it is fully deployed, so that rolling back
// one release never meets a contracted schema.
//
// Each phase is a golang-migrate stream of its own: the phase's files, read
// through an iofs source, and its own migrations table, driven by
// golang-migrate's pgx/v5 driver and core — expand files in
// schema_migrations (golang-migrate's default, so its CLI sees the expand
// version), backfill files in schema_migrations_backfill, contract files
// in schema_migrations_contract. The ledger (package ledger) records which
// release introduced and applied each version, backfill checkpoints and
// an audit log of refusals.
//
// Running safely: one runner at a time (an advisory lock, waited for up to
// lock_wait); every statement under lock_timeout, retried with backoff and
// jitter when the lock is not granted (SQLSTATE 55P03); a file commits
// with its version in one transaction, unless it holds statements that
// cannot run in one (CONCURRENTLY), which run on their own, with their
// progress in the ledger; an INVALID index left by a failed concurrent
// build is dropped and built again; a file changed after it was applied is
// refused, never re-run.
//
// Batched backfills (a file with a -- lockstep:batch key=id size=5000
// header and one UPDATE or DELETE) get the key range added through
// pg_query's parse tree and deparser, one short transaction per batch that
// also writes the checkpoint, so each row is changed exactly once across
// kill -9; the batch size adapts to a target duration, the run pauses while
// replicas lag or sessions wait for locks, and it stops after the batch
// under way when its context is cancelled.
package migrator
