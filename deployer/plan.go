package deployer

import (
	"context"
	"fmt"
	"math"
	"time"
)

// StepKind is what a step of a plan does to traffic.
type StepKind string

const (
	// StepMirror copies a share of traffic to the candidate (Mirrorer).
	StepMirror StepKind = "mirror"
	// StepRoute sends matching requests to the candidate (Router).
	StepRoute StepKind = "route"
	// StepWeight sets the candidate's share of traffic (canary) or of
	// instances (rolling batch).
	StepWeight StepKind = "weight"
	// StepSwitch moves all traffic at once (blue-green).
	StepSwitch StepKind = "switch"
	// StepPreview analyses the candidate before it gets real traffic
	// (blue-green pre-promotion).
	StepPreview StepKind = "preview"
)

// Step is one step of a rollout plan: an action on traffic, then a pause
// during which the analysis runs.
type Step struct {
	Kind StepKind
	// Weight is the candidate's share after the step (0 to 100); for
	// StepMirror, the share mirrored.
	Weight int
	Match  Match
	Pause  time.Duration
}

func (s Step) String() string {
	switch s.Kind {
	case StepMirror:
		return fmt.Sprintf("mirror %d%%", s.Weight)
	case StepRoute:
		if s.Match.Header != "" {
			return fmt.Sprintf("route %s: %s", s.Match.Header, s.Match.Value)
		}
		return fmt.Sprintf("route cookie %s=%s", s.Match.Cookie, s.Match.Value)
	case StepSwitch:
		return "switch 100%"
	case StepPreview:
		return "pre-promotion analysis"
	}
	return fmt.Sprintf("weight %d%%", s.Weight)
}

// Sizer is implemented by providers that know how many instances a rolling
// update replaces; the plan sizes its batches from it.
type Sizer interface {
	Instances(ctx context.Context, t Target) (int, error)
}

// Plan returns the steps of the configured strategy. instances is the
// number of instances a rolling update replaces (0 if unknown). Normalize
// must have run.
func (c *Config) Plan(instances int) []Step {
	var steps []Step
	if s := c.Shadow; s != nil {
		steps = append(steps, Step{Kind: StepMirror, Weight: s.Weight, Pause: s.Duration})
	}
	if r := c.Route; r != nil {
		steps = append(steps, Step{Kind: StepRoute, Match: Match{Header: r.Header, Cookie: r.Cookie, Value: r.Value}, Pause: r.Duration})
	}
	switch c.Strategy {
	case Canary:
		for _, s := range c.Canary.Steps {
			steps = append(steps, Step{Kind: StepWeight, Weight: s.Weight, Pause: s.Pause})
		}
	case BlueGreen:
		if c.BlueGreen.PrePromotion {
			steps = append(steps, Step{Kind: StepPreview, Pause: c.BlueGreen.PrePromotionPause})
		}
		steps = append(steps, Step{Kind: StepSwitch, Weight: 100, Pause: *c.BlueGreen.ScaleDownDelay})
	case Rolling:
		n := c.Rolling.Batches
		if n == 0 {
			n = c.rollingBatches(instances)
		}
		for k := 1; k <= n; k++ {
			w := int(math.Ceil(float64(k) * 100 / float64(n)))
			if instances > 0 {
				// Whole instances: the k-th batch replaces this many.
				w = rollingReplaced(k, n, instances) * 100 / instances
			}
			steps = append(steps, Step{Kind: StepWeight, Weight: min(w, 100), Pause: c.Rolling.Pause})
		}
	}
	return steps
}

func (c *Config) rollingBatches(instances int) int {
	n, pct, _ := ParseCountOrPercent(c.Rolling.MaxUnavailable)
	if n == 0 {
		n, pct = 25, true
	}
	if instances > 0 {
		per := Resolve(c.Rolling.MaxUnavailable, instances)
		if per <= 0 {
			per = 1
		}
		return int(math.Ceil(float64(instances) / float64(per)))
	}
	if pct {
		return int(math.Ceil(100 / float64(n)))
	}
	return 4
}

// rollingReplaced is how many of total instances run the candidate after
// batch k of n.
func rollingReplaced(k, n, total int) int {
	return int(math.Ceil(float64(k) * float64(total) / float64(n)))
}

// InstancesFor is how many of total instances run the candidate at a
// rolling weight: the inverse of the plan's rounding (exact below 100
// instances), for providers.
func InstancesFor(weight, total int) int {
	return int(math.Ceil(float64(weight) * float64(total) / 100))
}
