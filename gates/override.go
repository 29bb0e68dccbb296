package gates

import (
	"fmt"
	"strings"
)

// OverrideRequest is an emergency override asked for: who, why, and the
// gates it bypasses (never more than these).
type OverrideRequest struct {
	Actor  string
	Reason string
	Gates  []string
}

// OverrideResult is what became of an override.
type OverrideResult struct {
	Actor  string   `json:"actor"`
	Reason string   `json:"reason"`
	Gates  []string `json:"gates"`
	// Accepted is false when the override was refused: Refused says why.
	Accepted bool   `json:"accepted"`
	Refused  string `json:"refused,omitempty"`
	// Bypassed are the named gates that were closed and now let the deploy
	// through.
	Bypassed []string `json:"bypassed"`
	// StillClosed are closed gates the override did not name.
	StillClosed []string `json:"still_closed,omitempty"`
}

// ParseGates reads a comma-separated list of gate names.
func ParseGates(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		g, ok := ParseGate(part)
		if !ok {
			return nil, fmt.Errorf("unknown gate %q (gates: %s)", strings.TrimSpace(part), strings.Join(GateNames, ", "))
		}
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out, nil
}

// Allows reports whether actor may override under the rule: named, or a
// member of a named @group.
func (r OverrideRule) Allows(actor string) bool {
	if actor == "" {
		return false
	}
	for _, a := range r.Allowed {
		if g, ok := strings.CutPrefix(a, "@"); ok {
			for _, m := range r.Groups[g] {
				if strings.EqualFold(m, actor) {
					return true
				}
			}
			continue
		}
		if strings.EqualFold(a, actor) {
			return true
		}
	}
	return false
}

// applyOverride checks the request against the policy and, when accepted,
// opens the closed checks it names.
func applyOverride(p *Policy, req *OverrideRequest, checks []Check) *OverrideResult {
	res := &OverrideResult{Actor: req.Actor, Reason: strings.TrimSpace(req.Reason), Gates: req.Gates, Bypassed: []string{}}
	switch {
	case req.Actor == "":
		res.Refused = "no actor: neither GITHUB_ACTOR nor GITLAB_USER_LOGIN is set"
	case !p.Override.Allows(req.Actor):
		if len(p.Override.Allowed) == 0 {
			res.Refused = fmt.Sprintf("%s may not override: gates.override.allowed names nobody", req.Actor)
		} else {
			res.Refused = fmt.Sprintf("%s may not override (gates.override.allowed: %s)", req.Actor, strings.Join(p.Override.Allowed, ", "))
		}
	case p.Override.ReasonRequired && res.Reason == "":
		res.Refused = "an override needs a reason: --override \"INC-123: why\""
	case len(req.Gates) == 0:
		res.Refused = "an override names the gates it bypasses: --override-gates window,freeze"
	}
	if res.Refused == "" {
		for _, g := range req.Gates {
			if p.Override.Never[g] {
				res.Refused = fmt.Sprintf("%s may never be overridden (gates.override.never)", g)
				break
			}
		}
	}
	if res.Refused != "" {
		return res
	}
	res.Accepted = true
	named := map[string]bool{}
	for _, g := range req.Gates {
		named[g] = true
	}
	for i := range checks {
		c := &checks[i]
		if c.Open {
			continue
		}
		if named[c.Gate] {
			c.Open, c.Overridden = true, true
			res.Bypassed = append(res.Bypassed, c.Gate)
			continue
		}
		res.StillClosed = append(res.StillClosed, c.Gate)
	}
	return res
}
