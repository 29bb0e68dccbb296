package migrator

import (
	_ "embed"
	"regexp"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// ConfigSchema is the JSON Schema of the migrations section of lockstep.yaml.
//
//go:embed schema.json
var ConfigSchema []byte

// Duration is a time.Duration written as "2s", "500ms" in lockstep.yaml.
type Duration time.Duration

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Config is the migrations section of lockstep.yaml. Zero values take the
// defaults (DefaultConfig).
type Config struct {
	// Dir is the golang-migrate directory.
	Dir string `yaml:"dir"`
	// Table is golang-migrate's migrations table, holding the expand
	// stream's version; the other streams use Table_backfill and
	// Table_contract.
	Table string `yaml:"table"`
	// LockWait is how long a second runner waits for the runner lock.
	LockWait Duration `yaml:"lock_wait"`
	// LockTimeout is the lock_timeout every DDL statement runs with.
	LockTimeout Duration `yaml:"lock_timeout"`
	// RetryFor bounds the retries of a statement whose lock was not granted.
	RetryFor Duration `yaml:"retry_for"`
	// DrainCheck refuses a contract while sessions of old releases remain.
	DrainCheck bool           `yaml:"drain_check"`
	Backfill   BackfillConfig `yaml:"backfill"`
}

// BackfillConfig tunes batched backfills.
type BackfillConfig struct {
	TargetBatchDuration Duration `yaml:"target_batch_duration"`
	MinBatchSize        int      `yaml:"min_batch_size"`
	MaxBatchSize        int      `yaml:"max_batch_size"`
	// MaxReplicationLag and MaxLockWait pause the backfill while exceeded;
	// nil takes the default, 0 turns the check off.
	MaxReplicationLag *Duration `yaml:"max_replication_lag"`
	MaxLockWait       *Duration `yaml:"max_lock_wait"`
	// Pause is the rest between two batches, in which the application
	// has the database to itself; nil takes the default, 0 turns it off.
	Pause    *Duration `yaml:"pause"`
	LogEvery Duration  `yaml:"log_every"`
}

// Defaults.
const (
	DefaultDir         = "migrations"
	DefaultTable       = "schema_migrations"
	DefaultLockWait    = 30 * time.Second
	DefaultLockTimeout = 2 * time.Second
	DefaultRetryFor    = 10 * time.Minute
	// DefaultPause rests between backfill batches.
	DefaultPause = 50 * time.Millisecond
)

// DefaultConfig returns the settings used when lockstep.yaml says nothing.
func DefaultConfig() Config {
	return Config{
		Dir: DefaultDir, Table: DefaultTable,
		LockWait: Duration(DefaultLockWait), LockTimeout: Duration(DefaultLockTimeout), RetryFor: Duration(DefaultRetryFor),
		Backfill: BackfillConfig{
			TargetBatchDuration: Duration(100 * time.Millisecond),
			MinBatchSize:        100,
			MaxBatchSize:        100000,
			MaxReplicationLag:   durationPtr(10 * time.Second),
			MaxLockWait:         durationPtr(time.Second),
			Pause:               durationPtr(DefaultPause),
			LogEvery:            Duration(10 * time.Second),
		},
	}
}

var tableRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Normalize fills the defaults. Errors are usage errors naming the setting.
func (c *Config) Normalize() error {
	d := DefaultConfig()
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if c.Table == "" {
		c.Table = d.Table
	}
	if !tableRe.MatchString(c.Table) {
		return fault.Errorf(fault.Usage, "migrations.table %q: want a plain table name", c.Table)
	}
	if c.LockWait == 0 {
		c.LockWait = d.LockWait
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = d.LockTimeout
	}
	if c.RetryFor == 0 {
		c.RetryFor = d.RetryFor
	}
	b, db := &c.Backfill, d.Backfill
	if b.TargetBatchDuration == 0 {
		b.TargetBatchDuration = db.TargetBatchDuration
	}
	if b.MinBatchSize == 0 {
		b.MinBatchSize = db.MinBatchSize
	}
	if b.MaxBatchSize == 0 {
		b.MaxBatchSize = db.MaxBatchSize
	}
	if b.MaxBatchSize < b.MinBatchSize {
		return fault.Errorf(fault.Usage, "migrations.backfill.max_batch_size %d is below min_batch_size %d", b.MaxBatchSize, b.MinBatchSize)
	}
	if b.MaxReplicationLag == nil {
		b.MaxReplicationLag = db.MaxReplicationLag
	}
	if b.MaxLockWait == nil {
		b.MaxLockWait = db.MaxLockWait
	}
	if b.Pause == nil {
		b.Pause = db.Pause
	}
	if b.LogEvery == 0 {
		b.LogEvery = db.LogEvery
	}
	for name, v := range map[string]Duration{"lock_wait": c.LockWait, "lock_timeout": c.LockTimeout, "retry_for": c.RetryFor,
		"backfill.target_batch_duration": b.TargetBatchDuration, "backfill.log_every": b.LogEvery, "backfill.pause": *b.Pause} {
		if v < 0 {
			return fault.Errorf(fault.Usage, "migrations.%s: %s is negative", name, time.Duration(v))
		}
	}
	return nil
}

func durationPtr(d time.Duration) *Duration { v := Duration(d); return &v }

// TableOf returns the migrations table of a phase's stream.
func (c *Config) TableOf(p lint.Phase) string {
	switch p {
	case lint.Backfill:
		return c.Table + "_backfill"
	case lint.Contract:
		return c.Table + "_contract"
	}
	return c.Table
}
