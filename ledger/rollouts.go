package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RolloutState is where a rollout is.
type RolloutState string

const (
	RolloutRunning    RolloutState = "running"
	RolloutPromoted   RolloutState = "promoted"
	RolloutRolledBack RolloutState = "rolled-back"
	// RolloutInterrupted: stopped by a signal or a cancelled job after
	// traffic was put back on stable; a re-run finds it.
	RolloutInterrupted RolloutState = "interrupted"
)

// Rollout is a recorded rollout of a release to an environment.
type Rollout struct {
	ID          int64
	Release     string
	Environment string
	Strategy    string
	Stable      string
	State       RolloutState
	Step        int
	Weight      int
	Details     map[string]any
	StartedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}

// ErrRolloutRunning is returned by StartRollout when the environment has a
// running rollout already.
var ErrRolloutRunning = errors.New("a rollout is already running in this environment")

// StartRollout records a new running rollout. At most one runs per
// environment: a second is ErrRolloutRunning (wrapped, naming it).
func (l *Ledger) StartRollout(ctx context.Context, r Rollout) (Rollout, error) {
	details, err := json.Marshal(nonNil(r.Details))
	if err != nil {
		return Rollout{}, err
	}
	now := l.now()
	var id int64
	err = l.pool.QueryRow(ctx, `
		INSERT INTO lockstep.rollouts (release, environment, strategy, stable, state, step, weight, details, started_at, updated_at)
		VALUES ($1, $2, $3, $4, 'running', 0, 0, $5, $6, $6) RETURNING id`,
		r.Release, r.Environment, r.Strategy, r.Stable, details, now).Scan(&id)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		cur, ok, _ := l.RunningRollout(ctx, r.Environment)
		if ok {
			return Rollout{}, fmt.Errorf("%w: %s of %s since %s", ErrRolloutRunning, cur.Strategy, cur.Release, cur.StartedAt.Format(time.RFC3339))
		}
		return Rollout{}, ErrRolloutRunning
	}
	if err != nil {
		return Rollout{}, l.wrap(err, "record rollout")
	}
	return l.Rollout(ctx, id)
}

// UpdateRollout records progress: the step reached, the weight, details
// merged into the stored ones.
func (l *Ledger) UpdateRollout(ctx context.Context, id int64, step, weight int, details map[string]any) error {
	b, err := json.Marshal(nonNil(details))
	if err != nil {
		return err
	}
	_, err = l.pool.Exec(ctx, `
		UPDATE lockstep.rollouts SET step = $2, weight = $3, details = details || $4::jsonb, updated_at = $5
		WHERE id = $1`, id, step, weight, b, l.now())
	return l.wrap(err, "update rollout")
}

// FinishRollout ends a rollout in a final state.
func (l *Ledger) FinishRollout(ctx context.Context, id int64, s RolloutState, details map[string]any) error {
	b, err := json.Marshal(nonNil(details))
	if err != nil {
		return err
	}
	_, err = l.pool.Exec(ctx, `
		UPDATE lockstep.rollouts SET state = $2, details = details || $3::jsonb, updated_at = $4, finished_at = $4
		WHERE id = $1`, id, string(s), b, l.now())
	return l.wrap(err, "finish rollout")
}

const rolloutCols = `id, release, environment, strategy, stable, state, step, weight, details, started_at, updated_at, finished_at`

func scanRollout(row pgx.Row) (Rollout, error) {
	var r Rollout
	var st string
	var details []byte
	err := row.Scan(&r.ID, &r.Release, &r.Environment, &r.Strategy, &r.Stable, &st, &r.Step, &r.Weight, &details,
		&r.StartedAt, &r.UpdatedAt, &r.FinishedAt)
	if err != nil {
		return r, err
	}
	r.State = RolloutState(st)
	return r, json.Unmarshal(details, &r.Details)
}

// Rollout returns a rollout by id.
func (l *Ledger) Rollout(ctx context.Context, id int64) (Rollout, error) {
	r, err := scanRollout(l.pool.QueryRow(ctx, `SELECT `+rolloutCols+` FROM lockstep.rollouts WHERE id = $1`, id))
	return r, l.wrap(err, "read rollout")
}

// RunningRollout returns the environment's running rollout, if any.
func (l *Ledger) RunningRollout(ctx context.Context, env string) (Rollout, bool, error) {
	r, err := scanRollout(l.pool.QueryRow(ctx, `SELECT `+rolloutCols+` FROM lockstep.rollouts WHERE environment = $1 AND state = 'running'`, env))
	if errors.Is(err, pgx.ErrNoRows) {
		return Rollout{}, false, nil
	}
	if err != nil {
		return Rollout{}, false, l.wrap(err, "read running rollout")
	}
	return r, true, nil
}

// LastRollout returns the most recent rollout of a release in an
// environment (any state), if any: a re-run after an interruption finds it.
func (l *Ledger) LastRollout(ctx context.Context, release, env string) (Rollout, bool, error) {
	r, err := scanRollout(l.pool.QueryRow(ctx, `
		SELECT `+rolloutCols+` FROM lockstep.rollouts WHERE release = $1 AND environment = $2
		ORDER BY id DESC LIMIT 1`, release, env))
	if errors.Is(err, pgx.ErrNoRows) {
		return Rollout{}, false, nil
	}
	if err != nil {
		return Rollout{}, false, l.wrap(err, "read last rollout")
	}
	return r, true, nil
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
