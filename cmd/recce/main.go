// Command recce reviews the data changes of a dbt project in a merge request.
//
// This package only wires the internal packages together: flags, output
// formats and exit codes. The logic lives under internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/recce-go/recce/internal/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes the command line and returns the process exit status.
func run(ctx context.Context, args []string) int {
	return newApp().execute(ctx, args)
}

// execute runs the command line with a's streams and environment, so that
// tests can call it with buffers and without exiting.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(a.stderr, "recce: "+ee.err.Error())
		}
		return ee.code
	}
	fmt.Fprintln(a.stderr, term.Red(a.stderr, "recce: ")+err.Error())
	return 1
}

// exitError carries an exit status other than 1 (or a status with no message,
// when the command already explained itself).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }
