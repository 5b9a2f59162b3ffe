package check

import (
	"math"
	"strconv"
	"strings"
)

// How the figures of a result are shown, by every output (the CLI, the
// summary, text made from JSON; the web app follows the same rule, see
// docs/checks.md): one rounding of percentages, and two different values
// never shown alike.

// Percent shows a ratio (0.985 for 98.5 %) as a percentage with two
// decimals: "98.50%". The rule, in full:
//
//  1. v = ratio × 100;
//  2. |v| is rounded to two decimals, half away from zero, and v's sign
//     put back;
//  3. a value that is not exactly 0 never shows as 0.00%: it shows as
//     0.01% (or -0.01%);
//  4. a value that is not exactly 100 (or -100) never shows as 100.00%:
//     it shows as 99.99% when |v| < 100, 100.01% when |v| > 100.
//
// So 98,300 of 99,800 is 98.50%, 99.996 % is 99.99%, 0.004 % is 0.01%.
// NaN and infinities show as "n/a".
func Percent(ratio float64) string { return percent(ratio*100, 2) }

// PercentPair shows two ratios as Percent does, with more decimals when
// two decimals would show different values alike ("98.4970%" and
// "98.4969%"); equal values show alike.
func PercentPair(base, current float64) (string, string) {
	for d := 2; d <= 12; d++ {
		b, c := percent(base*100, d), percent(current*100, d)
		if b != c || base == current {
			return b, c
		}
	}
	return strconv.FormatFloat(base*100, 'f', -1, 64) + "%", strconv.FormatFloat(current*100, 'f', -1, 64) + "%"
}

// NumberPair shows two numbers with at least decimals decimals, trailing
// zeros trimmed, and as many more as it takes to tell them apart when they
// differ: 2778.171647 and 2778.1716470000003 never show alike.
func NumberPair(base, current float64, decimals int) (string, string) {
	for d := decimals; d <= 17; d++ {
		b, c := fixed(base, d), fixed(current, d)
		if b != c || base == current {
			return b, c
		}
	}
	return strconv.FormatFloat(base, 'f', -1, 64), strconv.FormatFloat(current, 'f', -1, 64)
}

// Number shows a number with at most decimals decimals, trailing zeros
// trimmed (as NumberPair shows equal values).
func Number(v float64, decimals int) string { return fixed(v, decimals) }

func fixed(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// percent rounds v (already in percent) to d decimals by Percent's rule.
func percent(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if v == 0 {
		return strconv.FormatFloat(0, 'f', d, 64) + "%"
	}
	scale := math.Pow10(d)
	step := 1 / scale
	abs := math.Abs(v)
	r := math.Round(abs*scale) / scale
	switch {
	case r == 0:
		r = step
	case r == 100 && abs < 100:
		r = 100 - step
	case r == 100 && abs > 100:
		r = 100 + step
	}
	return strconv.FormatFloat(math.Copysign(r, v), 'f', d, 64) + "%"
}

// Thousands writes an integer with thousands separators: 1,234,567.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural says a count with its noun: "1 check", "2 checks".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
