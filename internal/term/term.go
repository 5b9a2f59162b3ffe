// Package term formats output for people: colour only on a terminal, aligned
// tables, and progress bars that disappear when output is piped.
package term

import (
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/mattn/go-runewidth"
	"golang.org/x/term"
)

// IsTerminal reports whether w is an interactive terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorEnabled reports whether colour should be written to w: only on a
// terminal, and never when NO_COLOR is set (https://no-color.org).
func ColorEnabled(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && IsTerminal(w)
}

func paint(w io.Writer, code, s string) string {
	if !ColorEnabled(w) {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Colour helpers: each returns s unchanged unless w is a colour terminal.
func Red(w io.Writer, s string) string    { return paint(w, "31", s) }
func Green(w io.Writer, s string) string  { return paint(w, "32", s) }
func Yellow(w io.Writer, s string) string { return paint(w, "33", s) }
func Blue(w io.Writer, s string) string   { return paint(w, "34", s) }
func Gray(w io.Writer, s string) string   { return paint(w, "90", s) }
func Bold(w io.Writer, s string) string   { return paint(w, "1", s) }

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Width is the number of terminal cells s takes, ignoring colour codes.
func Width(s string) int {
	return runewidth.StringWidth(ansi.ReplaceAllString(s, ""))
}

// Table writes rows aligned in columns. Cells may hold colour codes.
type Table struct {
	w      io.Writer
	rows   [][]string
	right  map[int]bool
	header bool
}

// NewTable starts a table with a header row (pass none for no header).
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{w: w, right: map[int]bool{}}
	if len(header) > 0 {
		h := make([]string, len(header))
		for i, c := range header {
			h[i] = Bold(w, c)
		}
		t.rows = append(t.rows, h)
		t.header = true
	}
	return t
}

// AlignRight right-aligns the given columns (numbers read better that way).
func (t *Table) AlignRight(cols ...int) *Table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// Row adds a row.
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows added, header excluded.
func (t *Table) Len() int {
	if t.header {
		return len(t.rows) - 1
	}
	return len(t.rows)
}

// Flush writes the table.
func (t *Table) Flush() error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-Width(c))
			last := i == len(r)-1
			switch {
			case t.right[i]:
				b.WriteString(pad + c)
			case last:
				b.WriteString(c)
			default:
				b.WriteString(c + pad)
			}
			if !last {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}
