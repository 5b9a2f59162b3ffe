package check

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// The text the CLI prints of a comparison (each kind's WriteText), and the
// pieces the kinds share to lay it out: aligned tables, colour on a
// terminal only.

// WriteText writes a comparison of a check type, as the diff package
// gives it, for people: what `recce diff` and `recce query` print.
func WriteText(w io.Writer, t Type, comparison any) error {
	k, ok := Lookup(t)
	if !ok {
		return fmt.Errorf("unknown check type %q", t)
	}
	return k.WriteText(w, comparison)
}

// textCell formats a value for a table cell.
func textCell(w io.Writer, v any) string {
	switch x := v.(type) {
	case nil:
		return term.Gray(w, "NULL")
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case float64:
		if math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if len(x) > 60 {
			return x[:57] + "..."
		}
		return x
	case []byte:
		return fmt.Sprintf("<%d bytes>", len(x))
	}
	return fmt.Sprint(v)
}

// writeRows prints up to maxRows rows of a result (all when 0), and how
// many there are.
func writeRows(w io.Writer, t *diff.Table, maxRows int) error {
	names := make([]string, len(t.Columns))
	var right []int
	for i, c := range t.Columns {
		names[i] = c.Name
		if c.Kind.Numeric() {
			right = append(right, i)
		}
	}
	tab := term.NewTable(w, names...).AlignRight(right...)
	for i, row := range t.Data {
		if maxRows > 0 && i == maxRows {
			break
		}
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = textCell(w, v)
		}
		tab.Row(cells...)
	}
	if err := tab.Flush(); err != nil {
		return err
	}
	shown := len(t.Data)
	if maxRows > 0 {
		shown = min(shown, maxRows)
	}
	if t.Total != nil && int64(shown) < *t.Total {
		fmt.Fprintf(w, "%s\n", term.Gray(w, fmt.Sprintf("(%d of %d rows shown)", shown, *t.Total)))
	}
	if t.Truncated {
		fmt.Fprintf(w, "%s\n", term.Gray(w, fmt.Sprintf("(only %d rows were fetched: the result reached the size cap of a result, %s)", len(t.Data), truncatedHint)))
	}
	return nil
}

// truncatedHint says what a result cut at the byte cap means to a user.
var truncatedHint = fmt.Sprintf("%d MiB; select fewer or narrower columns", warehouse.DefaultMaxBytes>>20)
