package deployer

import (
	"context"
	"errors"
)

// Strategy names how traffic moves from the stable release to the candidate.
type Strategy string

const (
	// Canary sends growing shares of traffic to the candidate in steps,
	// analysing metrics at each, and promotes it at the end.
	Canary Strategy = "canary"
	// BlueGreen brings the candidate (green) up beside stable (blue),
	// switches all traffic at once, and keeps blue for a while so a rollback
	// is one switch back.
	BlueGreen Strategy = "blue-green"
	// Rolling replaces instances in batches, with health and analysis
	// between batches.
	Rolling Strategy = "rolling"
)

// Strategies lists the strategies in the order the documentation shows them.
var Strategies = []Strategy{Canary, BlueGreen, Rolling}

// Target is what one rollout acts on. The core passes it to every provider
// call; providers read it and never change it.
type Target struct {
	// Release is the candidate being rolled out.
	Release string
	// Stable is the release serving traffic now; empty on a first rollout.
	Stable string
	// Environment is the environment rolled out to, e.g. production.
	Environment string
	// Strategy is the rollout's strategy.
	Strategy Strategy
	// Step is the 1-based step of the plan being carried out (0 before the
	// first step, and during Deploy).
	Step int
	// KeepCandidate asks Rollback to leave the candidate's instances running
	// (deploy.rollback.scale_down: false), e.g. to debug them. Traffic goes
	// back to stable either way.
	KeepCandidate bool
}

// Provider moves traffic and instances on one platform. Providers only act
// and report: strategies, analysis, limits and the decision to roll back
// live in the core loop (Run), so adding a provider touches no strategy code.
//
// How to implement one:
//
//  1. Take every setting through the constructor (a Config struct decoded by
//     cmd/lockstep from the deploy section); never read the environment or
//     global state. Accept a *slog.Logger (nil discards).
//  2. Deploy brings the candidate's instances up beside stable without
//     sending them traffic. It must be idempotent: the core calls it again
//     when a re-run resumes a rollout.
//  3. SetWeight sends weight percent (0 to 100) of the traffic to the
//     candidate. Under Rolling the weight is the share of instances that run
//     the candidate; under BlueGreen the core only sets 0 and 100 (the
//     switch). Setting the weight already in effect is not an error.
//  4. Promote makes the candidate the only release serving traffic and
//     retires stable's instances. After Promote the candidate is stable.
//  5. Rollback puts all traffic back on stable and, unless
//     Target.KeepCandidate, removes the candidate's instances. It must be
//     idempotent and must work in any state a crash can leave (nothing
//     deployed, half-switched): the core calls it to recover, under a
//     context of its own when the run was cancelled.
//  6. Health reports whether the candidate's instances are ready for
//     traffic: nil when they are, an error wrapping ErrUnhealthy when they
//     are not (yet); the core polls it. Any other error is a failure to ask.
//  7. Errors reaching the platform (an API, a daemon) are
//     fault.Unavailable; a setting that cannot work is fault.Usage. A
//     strategy the provider cannot carry out is ErrUnsupported, best
//     reported early by implementing Checker.
//  8. Return promptly with ctx.Err() when ctx is done.
//  9. Pin conformance with `var _ deployer.Provider = (*T)(nil)` and run
//     deployer/providertest.Run in the provider's tests.
//
// Optional abilities are further interfaces found by type assertion:
// Checker, Mirrorer, Router.
type Provider interface {
	Deploy(ctx context.Context, t Target) error
	SetWeight(ctx context.Context, t Target, weight int) error
	Promote(ctx context.Context, t Target) error
	Rollback(ctx context.Context, t Target) error
	Health(ctx context.Context, t Target) error
}

// Checker is implemented by providers that can tell before a rollout
// starts whether they can carry out a strategy (and optional steps such as
// mirroring). Check returns an error wrapping ErrUnsupported when they
// cannot.
type Checker interface {
	Check(s Strategy) error
}

// Mirrorer is implemented by providers that can copy (shadow) a share of
// the traffic to the candidate, discarding its responses.
type Mirrorer interface {
	// Mirror copies percent (0 to 100) of requests to the candidate; 0
	// stops mirroring. Rollback and Promote stop it too.
	Mirror(ctx context.Context, t Target, percent int) error
}

// Match selects requests by a header or a cookie, for routing internal users
// or an A/B group to the candidate first.
type Match struct {
	// Header is a request header name (e.g. X-Canary); Cookie a cookie name.
	// Exactly one is set.
	Header string
	Cookie string
	// Value is the exact value that selects the candidate.
	Value string
}

// IsZero reports whether m selects nothing.
func (m Match) IsZero() bool { return m.Header == "" && m.Cookie == "" }

// Router is implemented by providers that can send requests matching a
// header or cookie to the candidate, whatever the weight.
type Router interface {
	// Route sends requests matching m to the candidate; a zero Match stops
	// it. Rollback and Promote stop it too.
	Route(ctx context.Context, t Target, m Match) error
}

var (
	// ErrUnhealthy is wrapped by Health when the candidate is not ready.
	ErrUnhealthy = errors.New("candidate not healthy")
	// ErrUnsupported is wrapped when a provider cannot carry out a strategy
	// or step.
	ErrUnsupported = errors.New("not supported by this provider")
)
