package term

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// Progress shows how far a long operation has got. On anything but a
// terminal it writes nothing, so piped output and logs stay clean. The zero
// value and a nil *Progress are valid and silent.
type Progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// NewProgress starts a bar of total steps on w (usually stderr); total -1
// means unknown (a spinner).
func NewProgress(w io.Writer, description string, total int) *Progress {
	if !IsTerminal(w) {
		return &Progress{}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSpinnerType(14),
	)
	return &Progress{bar: bar}
}

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Add(n)
}

// Describe changes the text shown beside the bar.
func (p *Progress) Describe(s string) {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Describe(s)
}

// Done removes the bar.
func (p *Progress) Done() {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}
