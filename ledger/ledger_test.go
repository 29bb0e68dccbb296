package ledger

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T) (*Ledger, string) {
	t.Helper()
	url := pgtest.Database(t)
	l, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l, url
}

func TestOpenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	l, url := open(t)
	if _, err := l.EnsureRelease(ctx, "v1", "abc"); err != nil {
		t.Fatal(err)
	}
	// Two more opens, one concurrent with the other: schema stays, data stays.
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			l2, err := Open(ctx, url, Options{})
			if err == nil {
				l2.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("second Open: %v", err)
		}
	}
	r, err := l.Release(ctx, "v1")
	if err != nil || r.Commit != "abc" {
		t.Fatalf("Release(v1) = %+v, %v; want commit abc", r, err)
	}
}

func TestReleasesOrderAndContractCondition(t *testing.T) {
	ctx := context.Background()
	l, _ := open(t)
	for _, n := range []string{"v1", "v2", "v3"} {
		if _, err := l.EnsureRelease(ctx, n, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := l.LaterDeployed(ctx, "v1"); err != nil || ok {
		t.Fatalf("LaterDeployed(v1) before any deploy = %v, %v; want none", ok, err)
	}
	// v1 deployed does not unlock v1's own contracts.
	if _, err := l.SetReleaseState(ctx, "v1", Deployed, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.LaterDeployed(ctx, "v1"); ok {
		t.Fatal("v1's own deploy unlocked its contracts")
	}
	if _, err := l.SetReleaseState(ctx, "v2", RolledBack, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.LaterDeployed(ctx, "v1"); ok {
		t.Fatal("a rolled-back v2 unlocked v1's contracts")
	}
	if _, err := l.SetReleaseState(ctx, "v3", Deployed, "ci"); err != nil {
		t.Fatal(err)
	}
	r, ok, err := l.LaterDeployed(ctx, "v1")
	if err != nil || !ok || r.Name != "v3" {
		t.Fatalf("LaterDeployed(v1) = %v, %v, %v; want v3", r.Name, ok, err)
	}
	if r.DeployedAt == nil {
		t.Error("deployed_at not set")
	}
	prev, ok, _ := l.Previous(ctx, "v3")
	if !ok || prev.Name != "v2" {
		t.Errorf("Previous(v3) = %v, %v; want v2", prev.Name, ok)
	}
	if _, err := l.Release(ctx, "nope"); !errors.Is(err, ErrNoRelease) {
		t.Errorf("Release(nope) err = %v; want ErrNoRelease", err)
	}
	log, err := l.AuditLog(ctx, AuditFilter{ActionPrefix: "release."})
	if err != nil || len(log) != 3 || log[0].Action != "release.deployed" || log[0].Actor != "ci" {
		t.Fatalf("audit = %+v, %v; want 3 release entries, first release.deployed by ci", log, err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	l, _ := open(t)
	if err := l.Audit(ctx, Entry{Actor: "alice", Action: "gate.override", Reason: "INC-1", Details: map[string]any{"gates": []string{"window"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Pool().Exec(ctx, `UPDATE lockstep.audit SET reason = 'x'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE of the audit log: err = %v; want append-only refusal", err)
	}
	if _, err := l.Pool().Exec(ctx, `DELETE FROM lockstep.audit`); err == nil {
		t.Fatal("DELETE from the audit log succeeded")
	}
	log, _ := l.AuditLog(ctx, AuditFilter{})
	if len(log) != 1 || log[0].Reason != "INC-1" || log[0].Details["gates"] == nil {
		t.Fatalf("audit = %+v", log)
	}
}

func TestCheckpointCommitsWithBatch(t *testing.T) {
	ctx := context.Background()
	l, _ := open(t)
	if _, err := l.EnsureRelease(ctx, "v1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RecordMigration(ctx, Migration{Version: 3, Name: "fill", Phase: "backfill", Checksum: "c", IntroducedIn: "v1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.StartBackfill(ctx, 3, "id", 100); err != nil {
		t.Fatal(err)
	}
	// A batch whose transaction rolls back leaves no checkpoint.
	tx, _ := l.Pool().Begin(ctx)
	if err := l.Checkpoint(ctx, tx, 3, "100", 100, 100); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	b, _, _ := l.Backfill(ctx, 3)
	if b.RowsDone != 0 || b.LastKey != "" {
		t.Fatalf("after rollback: %+v; want nothing done", b)
	}
	if err := pgx.BeginFunc(ctx, l.Pool(), func(tx pgx.Tx) error { return l.Checkpoint(ctx, tx, 3, "100", 100, 200) }); err != nil {
		t.Fatal(err)
	}
	b, _, _ = l.Backfill(ctx, 3)
	if b.RowsDone != 100 || b.LastKey != "100" || b.Batches != 1 || b.BatchSize != 200 {
		t.Fatalf("after commit: %+v", b)
	}
	// A resume keeps the progress.
	b, _ = l.StartBackfill(ctx, 3, "id", 100)
	if b.LastKey != "100" || b.State != BackfillRunning {
		t.Fatalf("resume: %+v", b)
	}
	l.SetBackfillState(ctx, 3, BackfillDone)
	b, _ = l.StartBackfill(ctx, 3, "id", 100)
	if b.State != BackfillDone || b.FinishedAt == nil {
		t.Fatalf("restart of a done backfill: %+v; want done", b)
	}
}

func TestOneRunningRolloutPerEnvironment(t *testing.T) {
	ctx := context.Background()
	l, _ := open(t)
	r, err := l.StartRollout(ctx, Rollout{Release: "v2", Environment: "prod", Strategy: "canary", Stable: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.StartRollout(ctx, Rollout{Release: "v3", Environment: "prod", Strategy: "canary"}); !errors.Is(err, ErrRolloutRunning) {
		t.Fatalf("second rollout: err = %v; want ErrRolloutRunning", err)
	}
	if _, err := l.StartRollout(ctx, Rollout{Release: "v3", Environment: "staging", Strategy: "canary"}); err != nil {
		t.Fatalf("rollout in another environment: %v", err)
	}
	if err := l.UpdateRollout(ctx, r.ID, 2, 50, map[string]any{"step2": "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := l.FinishRollout(ctx, r.ID, RolloutInterrupted, map[string]any{"reason": "SIGTERM"}); err != nil {
		t.Fatal(err)
	}
	last, ok, err := l.LastRollout(ctx, "v2", "prod")
	if err != nil || !ok || last.State != RolloutInterrupted || last.Step != 2 || last.Weight != 50 ||
		last.Details["step2"] != "ok" || last.Details["reason"] != "SIGTERM" {
		t.Fatalf("LastRollout = %+v, %v, %v", last, ok, err)
	}
	if _, ok, _ := l.RunningRollout(ctx, "prod"); ok {
		t.Fatal("a finished rollout still runs")
	}
}

func TestRunnerLock(t *testing.T) {
	ctx := context.Background()
	l, url := open(t)
	unlock, err := l.Lock(ctx, RunnerLockKey, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Open(ctx, url, Options{ApplicationName: "second"})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	start := time.Now()
	_, err = l2.Lock(ctx, RunnerLockKey, 300*time.Millisecond)
	if !errors.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "another lockstep runner holds the lock") {
		t.Fatalf("second Lock: err = %v; want Unavailable naming the holder", err)
	}
	if time.Since(start) < 300*time.Millisecond || time.Since(start) > 3*time.Second {
		t.Errorf("waited %s; want about 300ms", time.Since(start))
	}
	unlock()
	unlock2, err := l2.Lock(ctx, RunnerLockKey, time.Second)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestUnreachableDatabase(t *testing.T) {
	_, err := Open(context.Background(), "postgres://app:s3cr3t-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", Options{})
	if !errors.Is(err, fault.Unavailable) {
		t.Fatalf("err = %v; want fault.Unavailable", err)
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("the password leaked: %v", err)
	}
	if got := RedactURL("postgres://app:s3cr3t-pw@db:5432/x"); strings.Contains(got, "s3cr3t") {
		t.Errorf("RedactURL = %s", got)
	}
}
