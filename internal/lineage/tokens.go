package lineage

import (
	"strings"
	"unicode"
)

// sameTokens reports whether two SQL bodies differ only in whitespace:
// outside string literals and quoted identifiers, any run of whitespace
// (including line endings) is a mere separator, and whitespace next to
// punctuation ("a,b" and "a, b") is no separator at all. Inside quotes every
// byte counts, since 'a b' and 'a  b' are different values.
func sameTokens(a, b string) bool {
	ta, tb := tokenizer{s: a}, tokenizer{s: b}
	for {
		x, okA := ta.next()
		y, okB := tb.next()
		if okA != okB || x != y {
			return false
		}
		if !okA {
			return true
		}
	}
}

type tokenizer struct {
	s string
	i int
	// In comments quotes are plain text: "-- don't" opens no literal.
	lineComment, blockComment bool
}

// next returns the next token: a quoted literal (whole), a run of word
// characters, or one punctuation character.
func (t *tokenizer) next() (string, bool) {
	s := t.s
	for t.i < len(s) && isSpace(s[t.i]) {
		if s[t.i] == '\n' || s[t.i] == '\r' {
			t.lineComment = false
		}
		t.i++
	}
	if t.i >= len(s) {
		return "", false
	}
	start := t.i
	inComment := t.lineComment || t.blockComment
	switch c := s[t.i]; {
	case t.blockComment && strings.HasPrefix(s[t.i:], "*/"):
		t.blockComment = false
		t.i += 2
	case !inComment && strings.HasPrefix(s[t.i:], "--"):
		t.lineComment = true
		t.i += 2
	case !inComment && strings.HasPrefix(s[t.i:], "/*"):
		t.blockComment = true
		t.i += 2
	case !inComment && (c == '\'' || c == '"' || c == '`'):
		t.i++
		for t.i < len(s) {
			if s[t.i] == c {
				// A doubled quote escapes itself and stays in the literal.
				if t.i+1 < len(s) && s[t.i+1] == c {
					t.i += 2
					continue
				}
				t.i++
				break
			}
			t.i++
		}
	case isWord(c):
		for t.i < len(s) && isWord(s[t.i]) {
			t.i++
		}
	default:
		t.i++
	}
	return s[start:t.i], true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWord(c byte) bool {
	return c >= 0x80 || c == '_' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}
