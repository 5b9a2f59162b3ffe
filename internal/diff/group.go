package diff

import (
	"context"
	"fmt"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
)

// group is an errgroup.Group whose goroutines turn a panic into an error.
// A diff runs inside long-lived processes (recce server, the check runner):
// a bug in one query's handling must fail that diff, not kill the process,
// and the runner cannot recover a panic on a goroutine it did not start.
type group struct{ *errgroup.Group }

func newGroup(ctx context.Context) (*group, context.Context) {
	g, ctx := errgroup.WithContext(ctx)
	return &group{g}, ctx
}

// Go runs f in a goroutine, recovering a panic as an error.
func (g *group) Go(f func() error) {
	g.Group.Go(func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("internal error in a diff (please report it with this message): %v\n%s", r, debug.Stack())
			}
		}()
		return f()
	})
}
