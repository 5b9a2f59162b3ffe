package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gitlab.com/recce-go/recce/internal/check"
)

// Comment is a reviewer's comment on a check.
type Comment struct {
	ID        string     `json:"id"`
	Body      string     `json:"body"`
	Author    string     `json:"author"`
	CreatedAt check.Time `json:"created_at"`
}

// Snapshot is a workspace as persisted: the checks in checklist order,
// every run, and the comments per check id.
type Snapshot struct {
	Version int `json:"version"`
	// Source fingerprints what the workspace was made from (a review's
	// state file). A saved workspace from another source is not resumed.
	Source   string               `json:"source,omitempty"`
	Checks   []*check.Check       `json:"checks"`
	Runs     []*check.Run         `json:"runs"`
	Comments map[string][]Comment `json:"comments,omitempty"`
}

const snapshotVersion = 1

// WorkspaceStore keeps a workspace across restarts. FileWorkspace is the
// one-machine implementation; the team server (issue 7) keeps one per
// merge request session in its database, behind the same two methods.
type WorkspaceStore interface {
	// LoadWorkspace returns the saved workspace, or nil and no error when
	// none was saved yet.
	LoadWorkspace(ctx context.Context) (*Snapshot, error)
	SaveWorkspace(ctx context.Context, s *Snapshot) error
}

// FileWorkspace keeps a workspace in one JSON file, replaced atomically on
// every change, so that a crash or a restart loses nothing that was
// answered.
type FileWorkspace struct{ Path string }

func (f FileWorkspace) LoadWorkspace(ctx context.Context) (*Snapshot, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the saved workspace: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("the saved workspace %s cannot be read (%v): move it away to start with a fresh checklist", f.Path, err)
	}
	return &s, nil
}

func (f FileWorkspace) SaveWorkspace(ctx context.Context, s *Snapshot) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("save the workspace: %w", err)
	}
	return check.WriteFileAtomic(f.Path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	})
}
