package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReleaseState is where a release is in its life.
type ReleaseState string

const (
	// Pending: recorded (its migrations are known) but nothing ran yet.
	Pending ReleaseState = "pending"
	// Expanding: its expand (or backfill) migrations are running or ran.
	Expanding ReleaseState = "expanding"
	// Deploying: a rollout of it is under way.
	Deploying ReleaseState = "deploying"
	// Deployed: fully rolled out: every instance runs it. This is what
	// unlocks the contract migrations of earlier releases.
	Deployed ReleaseState = "deployed"
	// RolledBack: traffic went back to the previous release.
	RolledBack ReleaseState = "rolled-back"
)

// Release is a recorded release.
type Release struct {
	Name         string
	Seq          int64
	Commit       string
	State        ReleaseState
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeployedAt   *time.Time
	RolledBackAt *time.Time
}

// ErrNoRelease is returned for a release the ledger has never recorded.
var ErrNoRelease = errors.New("release not recorded")

// EnsureRelease records a release if it is new (state Pending) and returns
// it. An existing release keeps its state; an empty commit keeps the known
// one.
func (l *Ledger) EnsureRelease(ctx context.Context, name, commit string) (Release, error) {
	if name == "" {
		return Release{}, fmt.Errorf("release name is empty")
	}
	_, err := l.pool.Exec(ctx, `
		INSERT INTO lockstep.releases (name, commit_sha, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (name) DO UPDATE SET commit_sha = CASE WHEN $2 = '' THEN releases.commit_sha ELSE $2 END`,
		name, commit, string(Pending), l.now())
	if err != nil {
		return Release{}, l.wrap(err, "record release "+name)
	}
	return l.Release(ctx, name)
}

// SetReleaseState moves a release to a state, recording it first if needed,
// and appends the change to the audit log as actor.
func (l *Ledger) SetReleaseState(ctx context.Context, name string, s ReleaseState, actor string) (Release, error) {
	if _, err := l.EnsureRelease(ctx, name, ""); err != nil {
		return Release{}, err
	}
	now := l.now()
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		q := `UPDATE lockstep.releases SET state = $2, updated_at = $3`
		switch s {
		case Deployed:
			q += `, deployed_at = $3`
		case RolledBack:
			q += `, rolled_back_at = $3`
		}
		if _, err := tx.Exec(ctx, q+` WHERE name = $1`, name, string(s), now); err != nil {
			return err
		}
		return appendAudit(ctx, tx, now, Entry{Actor: actor, Action: "release." + string(s), Release: name})
	})
	if err != nil {
		return Release{}, l.wrap(err, "set state of release "+name)
	}
	return l.Release(ctx, name)
}

const releaseCols = `name, seq, commit_sha, state, created_at, updated_at, deployed_at, rolled_back_at`

func scanRelease(row pgx.Row) (Release, error) {
	var r Release
	var st string
	err := row.Scan(&r.Name, &r.Seq, &r.Commit, &st, &r.CreatedAt, &r.UpdatedAt, &r.DeployedAt, &r.RolledBackAt)
	r.State = ReleaseState(st)
	return r, err
}

// Release returns a recorded release, or ErrNoRelease.
func (l *Ledger) Release(ctx context.Context, name string) (Release, error) {
	r, err := scanRelease(l.pool.QueryRow(ctx, `SELECT `+releaseCols+` FROM lockstep.releases WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Release{}, fmt.Errorf("%w: %s", ErrNoRelease, name)
	}
	if err != nil {
		return Release{}, l.wrap(err, "read release "+name)
	}
	return r, nil
}

// Releases returns every release, oldest first.
func (l *Ledger) Releases(ctx context.Context) ([]Release, error) {
	rows, err := l.pool.Query(ctx, `SELECT `+releaseCols+` FROM lockstep.releases ORDER BY seq`)
	if err != nil {
		return nil, l.wrap(err, "list releases")
	}
	defer rows.Close()
	var out []Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, l.wrap(err, "list releases")
		}
		out = append(out, r)
	}
	return out, l.wrap(rows.Err(), "list releases")
}

// LaterDeployed returns the first release recorded after name that is fully
// deployed, and whether there is one: the condition for running the
// contract migrations that name introduced.
func (l *Ledger) LaterDeployed(ctx context.Context, name string) (Release, bool, error) {
	r, err := scanRelease(l.pool.QueryRow(ctx, `
		SELECT `+releaseCols+` FROM lockstep.releases
		WHERE seq > (SELECT seq FROM lockstep.releases WHERE name = $1) AND state = $2
		ORDER BY seq LIMIT 1`, name, string(Deployed)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Release{}, false, nil
	}
	if err != nil {
		return Release{}, false, l.wrap(err, "find a deployed release after "+name)
	}
	return r, true, nil
}

// Previous returns the release recorded just before name, if any.
func (l *Ledger) Previous(ctx context.Context, name string) (Release, bool, error) {
	r, err := scanRelease(l.pool.QueryRow(ctx, `
		SELECT `+releaseCols+` FROM lockstep.releases
		WHERE seq < (SELECT seq FROM lockstep.releases WHERE name = $1)
		ORDER BY seq DESC LIMIT 1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Release{}, false, nil
	}
	if err != nil {
		return Release{}, false, l.wrap(err, "find the release before "+name)
	}
	return r, true, nil
}
