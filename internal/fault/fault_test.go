package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKinds(t *testing.T) {
	cause := errors.New("connection refused")
	tests := []struct {
		name string
		err  error
		kind *Kind
		msg  string
	}{
		{"errorf", Errorf(Input, "a.sql:3:1: syntax error"), Input, "a.sql:3:1: syntax error"},
		{"errorf wraps", Errorf(Unavailable, "database: %w", cause), Unavailable, "database: connection refused"},
		{"wrap", Wrap(Unavailable, cause, "prometheus"), Unavailable, "prometheus: connection refused"},
		{"wrap bare", Wrap(Usage, cause, ""), Usage, "connection refused"},
		{"wrapped again", fmt.Errorf("gate: %w", Errorf(Usage, "bad key")), Usage, "gate: bad key"},
		{"plain", cause, nil, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v; want %v", got, tt.kind)
			}
			if got := tt.err.Error(); got != tt.msg {
				t.Errorf("Error() = %q; want %q", got, tt.msg)
			}
		})
	}
	if !errors.Is(Errorf(Unavailable, "db: %w", cause), cause) {
		t.Error("the cause is lost")
	}
	if Wrap(Input, nil, "x") != nil {
		t.Error("Wrap(nil) != nil")
	}
	if !IsQuiet(Quietly(Failed, "3 findings")) || IsQuiet(Errorf(Failed, "x")) {
		t.Error("IsQuiet is wrong")
	}
}
