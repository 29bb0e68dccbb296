// Package fault classifies the errors lockstep's commands end with, so that
// cmd/lockstep can map each to one row of the shared exit-code table without
// knowing which package raised it.
//
// A package marks an error with one of the kinds below, either by wrapping a
// cause (fault.Wrap(fault.Unavailable, err, "database")) or by building one
// (fault.Errorf(fault.Input, "%s:%d: misnamed migration file", ...)). The
// message is the one line a user reads; the kind is found with errors.Is.
package fault

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure. The exit code each maps to is decided by
// cmd/lockstep, not here.
type Kind struct{ name string }

func (k *Kind) Error() string { return k.name }

var (
	// Failed is a result, not a malfunction: findings at or above the failing
	// severity, a closed gate, a rolled-back rollout, a refused contract.
	Failed = &Kind{"failed"}
	// Usage is a bad flag, argument or configuration setting.
	Usage = &Kind{"usage or configuration error"}
	// Input is bad input: unparsable SQL, an unreadable or misnamed migration file.
	Input = &Kind{"bad input"}
	// Unavailable is a dependency that could not be reached: a database,
	// Prometheus, the GitHub, GitLab or Kubernetes API.
	Unavailable = &Kind{"dependency unavailable"}
)

// Error is an error of a Kind with a one-line message and an optional cause.
type Error struct {
	Kind *Kind
	// Msg is the whole message, the cause's text included.
	Msg string
	Err error
	// Quiet marks an error whose message was already shown to the user (the
	// findings, the closed gate): the command's exit code is all it adds.
	Quiet bool
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.name
}

// Unwrap returns the cause, so errors.Is and errors.As see through it.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(*Kind)
	return ok && k == e.Kind
}

// Errorf builds an error of kind k with a formatted message. A %w verb keeps
// its operand as the cause.
func Errorf(k *Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap marks err as kind k, prefixed with msg when msg is not empty. A nil err
// stays nil.
func Wrap(k *Kind, err error, msg string) error {
	if err == nil {
		return nil
	}
	if msg != "" {
		msg += ": " + err.Error()
	}
	return &Error{Kind: k, Msg: msg, Err: err}
}

// Quietly returns an error of kind k whose message the user has already seen.
func Quietly(k *Kind, msg string) error {
	return &Error{Kind: k, Msg: msg, Quiet: true}
}

// KindOf returns the kind of err, or nil when err carries none.
func KindOf(err error) *Kind {
	for _, k := range []*Kind{Usage, Input, Unavailable, Failed} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// IsQuiet reports whether err's message was already shown to the user.
func IsQuiet(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Quiet
}
