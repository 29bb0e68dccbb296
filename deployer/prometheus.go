package deployer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// querier is the one method of v1.API the adapter uses; when it changes,
// this adapter absorbs it.
type querier interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

// Prometheus is Metrics over a Prometheus server's HTTP API.
type Prometheus struct {
	q   querier
	url string
}

var _ Metrics = (*Prometheus)(nil)

// NewPrometheus returns Metrics querying the server at address with client
// (nil: a client with no timeout of its own; every query has a context
// deadline). A malformed address is fault.Usage.
func NewPrometheus(address string, client *http.Client) (*Prometheus, error) {
	if client == nil {
		client = &http.Client{}
	}
	c, err := api.NewClient(api.Config{Address: address, Client: client})
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.analysis.prometheus: %v", err)
	}
	return &Prometheus{q: v1.NewAPI(c), url: address}, nil
}

// Query runs an instant query. A server that cannot be reached is
// fault.Unavailable.
func (p *Prometheus) Query(ctx context.Context, query string, at time.Time) ([]float64, error) {
	v, _, _, err := p.q.Query(ctx, query, at)
	if err != nil {
		var ne net.Error
		var ae *v1.Error
		if errors.As(err, &ae) && ae.Type != v1.ErrClient && ae.Type != v1.ErrServer {
			return nil, fmt.Errorf("%s", ae.Msg)
		}
		if errors.As(err, &ne) || errors.As(err, &ae) {
			return nil, fault.Errorf(fault.Unavailable, "prometheus %s unreachable: %v", p.url, err)
		}
		return nil, err
	}
	switch r := v.(type) {
	case model.Vector:
		out := make([]float64, len(r))
		for i, s := range r {
			out[i] = float64(s.Value)
		}
		return out, nil
	case *model.Scalar:
		return []float64{float64(r.Value)}, nil
	}
	return nil, fmt.Errorf("query returned a %s, want an instant vector or a scalar", v.Type())
}

// Ping checks the server answers, with a trivial query.
func (p *Prometheus) Ping(ctx context.Context) error {
	_, err := p.Query(ctx, "vector(1)", time.Now())
	if err != nil && fault.KindOf(err) != fault.Unavailable {
		return fault.Errorf(fault.Unavailable, "prometheus %s: %v", p.url, err)
	}
	return err
}
