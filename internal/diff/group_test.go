package diff

import (
	"context"
	"strings"
	"testing"
)

func TestGroupTurnsAPanicIntoAnError(t *testing.T) {
	g, _ := newGroup(context.Background())
	g.Go(func() error { return nil })
	g.Go(func() error { panic("boom") })
	err := g.Wait()
	if err == nil || !strings.Contains(err.Error(), "internal error in a diff") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Wait() = %v, want the panic as an error", err)
	}
}
