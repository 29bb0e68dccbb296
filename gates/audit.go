package gates

import (
	"context"
	"time"

	"github.com/lockstep-dev/lockstep/ledger"
)

// Auditor is what recording a decision needs of the ledger.
type Auditor interface {
	Audit(ctx context.Context, e ledger.Entry) error
}

var _ Auditor = (*ledger.Ledger)(nil)

// Audit actions.
const (
	ActionOpen            = "gate.open"
	ActionClosed          = "gate.closed"
	ActionOverride        = "gate.override"
	ActionOverrideRefused = "gate.override.refused"
)

// Audit appends the decision to the ledger's audit log, and before it the
// override when one was asked for: who, why, when, the gates it named and
// which it bypassed (or why it was refused). actor is who ran the gate
// (the override's actor when there is one).
func Audit(ctx context.Context, a Auditor, d *Decision, actor, release string) error {
	if d.Override != nil && d.Override.Actor != "" {
		actor = d.Override.Actor
	}
	at := d.At.Format(time.RFC3339)
	if ov := d.Override; ov != nil {
		details := map[string]any{"at": at, "gates": ov.Gates, "bypassed": ov.Bypassed, "still_closed": orEmpty(ov.StillClosed)}
		action := ActionOverride
		if !ov.Accepted {
			action = ActionOverrideRefused
			details["refused"] = ov.Refused
		}
		if err := a.Audit(ctx, ledger.Entry{Actor: actor, Action: action, Release: release, Environment: d.Environment, Reason: ov.Reason, Details: details}); err != nil {
			return err
		}
	}
	checks := []map[string]any{}
	for _, c := range d.Checks {
		checks = append(checks, map[string]any{
			"gate": c.Gate, "result": string(c.Result), "open": c.Open, "overridden": c.Overridden, "summary": c.Summary,
		})
	}
	details := map[string]any{"at": at, "checks": checks, "closed_by": orEmpty(d.Closed())}
	if d.NextOpen != nil {
		details["next_open"] = d.NextOpen.Format(time.RFC3339)
	}
	if d.ErrorOpened {
		details["opened_on_error"] = true
	}
	action, reason := ActionOpen, ""
	if !d.Open {
		action = ActionClosed
	}
	if d.Override != nil && d.Override.Accepted {
		reason = d.Override.Reason
	}
	return a.Audit(ctx, ledger.Entry{Actor: actor, Action: action, Release: release, Environment: d.Environment, Reason: reason, Details: details})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
