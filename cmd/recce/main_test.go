package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// cli runs recce in-process with the given environment and standard input,
// and returns what it printed and its exit status. Variables not in env are
// unset.
type cli struct {
	env   map[string]string
	stdin string
}

func (c cli) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(c.stdin),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string { return c.env[k] },
	}
	code = a.execute(context.Background(), args)
	return out.String(), errOut.String(), code
}

// runRecce runs recce with an empty environment.
func runRecce(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return cli{}.run(t, args...)
}
