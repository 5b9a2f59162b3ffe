// Package markdown makes text safe to post on GitLab.
//
// The danger is quick actions: GitLab executes a line of a note that begins
// with "/command" in a plain paragraph (/merge, /close, /approve...) with the
// rights of the token's user, and removes the line from the note. A summary
// quotes user-controlled text (model names, check names, SQL, descriptions),
// so any of it could start a line with a slash. NeutralizeQuickActions escapes
// such lines; ExecutableLines finds the lines GitLab would execute, for tests
// and for the fake GitLab.
//
// Two models of "inside a code block" matter here, and they disagree at the
// edges: GitLab's quick action extractor (regular expressions over the raw
// text: ``` fences at column 0 closed by a line that is exactly ```, >>> quote
// blocks, HTML blocks) and CommonMark (``` or ~~~ fences indented up to three
// spaces, closed by a fence at least as long). A line is left alone only when
// both models agree it is code; everywhere else a leading slash is escaped.
// Escaping is `\/`, which renders as "/" in a paragraph, so the note reads the
// same.
package markdown

import (
	"regexp"
	"strings"
)

// NeutralizeQuickActions returns body with every line that could run as a
// GitLab quick action made inert: a line whose first non-blank character (after
// at most three spaces, to be conservative) is "/" gets that slash escaped as
// `\/`, unless the line is inside a fenced code block by both GitLab's and
// CommonMark's rules. Line endings are kept as they are.
func NeutralizeQuickActions(body string) string {
	lines := strings.SplitAfter(body, "\n")
	inGitLab := gitlabCodeLines(lines)
	inCM := commonMarkFenceLines(lines)
	var b strings.Builder
	b.Grow(len(body) + 16)
	for i, line := range lines {
		if inGitLab[i] && inCM[i] {
			b.WriteString(line)
			continue
		}
		if n := slashIndent(line); n >= 0 {
			b.WriteString(line[:n])
			b.WriteString(`\`)
			b.WriteString(line[n:])
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// slashIndent returns the index of a leading "/" preceded by at most three
// spaces, or -1.
func slashIndent(line string) int {
	for i := 0; i < len(line) && i <= 3; i++ {
		switch line[i] {
		case '/':
			return i
		case ' ':
			continue
		default:
			return -1
		}
	}
	return -1
}

// Line is a line GitLab would execute as a quick action.
type Line struct {
	Number  int    // 1-based line number in the body
	Command string // the command word, without the slash ("close")
	Args    string // what follows the command and a space, possibly empty
	Text    string // the whole line, without its line ending
}

// quickAction is GitLab's extractor rule: a slash at column 0, a command word,
// then the end of the line or a space and arguments.
var quickAction = regexp.MustCompile(`^/([A-Za-z0-9_]+)(?:$| (.*)$)`)

// ExecutableLines returns the lines of body that GitLab would execute as quick
// actions if the body were posted as a note: lines starting with /command at
// column 0 outside ``` code blocks, >>> quote blocks and HTML blocks. Whether
// the command exists is not checked (GitLab ignores unknown ones, but the set
// grows with every release). The fake GitLab uses this to execute commands.
func ExecutableLines(body string) []Line {
	lines := strings.SplitAfter(body, "\n")
	inCode := gitlabCodeLines(lines)
	var out []Line
	for i, raw := range lines {
		if inCode[i] {
			continue
		}
		// Stripping a carriage return is the conservative reading: GitLab
		// may normalise line endings before it looks for commands.
		text := strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r")
		m := quickAction.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		out = append(out, Line{Number: i + 1, Command: strings.ToLower(m[1]), Args: m[2], Text: text})
	}
	return out
}

// RemoveLines returns body without the given 1-based line numbers, as GitLab
// does with the quick actions it executed.
func RemoveLines(body string, numbers []int) string {
	drop := make(map[int]bool, len(numbers))
	for _, n := range numbers {
		drop[n] = true
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(body, "\n") {
		if !drop[i+1] {
			b.WriteString(line)
		}
	}
	return b.String()
}

var (
	htmlOpen  = regexp.MustCompile(`^<[^>]+?>$`)
	htmlClose = regexp.MustCompile(`^</[^>]+?>$`)
)

// gitlabCodeLines marks the lines GitLab's extractor skips: the regions
// matched by its CODE_REGEX (^``` ... \n```$), QUOTE_BLOCK_REGEX
// (^>>> ... \n>>>$) and HTML_BLOCK_REGEX (^<tag>\n ... \n</tag>$). Each region
// is the shortest one from an opening line to the next closing line; an opening
// line with no closing line opens nothing.
func gitlabCodeLines(lines []string) []bool {
	in := make([]bool, len(lines))
	text := func(i int) string { return strings.TrimSuffix(lines[i], "\n") }
	for i := 0; i < len(lines); i++ {
		t := text(i)
		var closes func(string) bool
		switch {
		case strings.HasPrefix(t, "```"):
			closes = func(s string) bool { return s == "```" }
		case strings.HasPrefix(t, ">>>"):
			closes = func(s string) bool { return s == ">>>" }
		case htmlOpen.MatchString(t):
			closes = htmlClose.MatchString
		default:
			continue
		}
		// ".+?" needs at least one character between the opening and the
		// closing line's newline, so the closing line is at i+1 or later.
		for j := i + 1; j < len(lines); j++ {
			if closes(text(j)) && strings.HasSuffix(lines[j-1], "\n") {
				for k := i; k <= j; k++ {
					in[k] = true
				}
				i = j
				break
			}
		}
	}
	return in
}

// commonMarkFenceLines marks the lines inside CommonMark fenced code blocks
// (the fences included). An unclosed fence runs to the end of the document.
func commonMarkFenceLines(lines []string) []bool {
	in := make([]bool, len(lines))
	var fenceChar byte
	fenceLen := 0
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r\n")
		indent := len(line) - len(strings.TrimLeft(line, " "))
		rest := line[indent:]
		if fenceLen == 0 {
			if indent > 3 || len(rest) < 3 || (rest[0] != '`' && rest[0] != '~') {
				continue
			}
			c := rest[0]
			n := len(rest) - len(strings.TrimLeft(rest, string(c)))
			if n < 3 || (c == '`' && strings.Contains(rest[n:], "`")) {
				continue
			}
			fenceChar, fenceLen = c, n
			in[i] = true
			continue
		}
		in[i] = true
		if indent <= 3 && len(rest) >= fenceLen && rest[0] == fenceChar {
			n := len(rest) - len(strings.TrimLeft(rest, string(fenceChar)))
			if n >= fenceLen && strings.TrimSpace(rest[n:]) == "" {
				fenceLen = 0
			}
		}
	}
	return in
}

// TableCell escapes s for a cell of a GitHub-flavoured markdown table: pipes
// would end the cell, newlines the row, and HTML could hide text. The result
// is one line.
func TableCell(s string) string {
	s = strings.NewReplacer(
		`\`, `\\`,
		"|", `\|`,
		"<", "&lt;",
		">", "&gt;",
		"\r\n", " ",
		"\n", " ",
		"\r", " ",
	).Replace(s)
	return strings.TrimSpace(s)
}

// InlineCode returns s as a code span: delimited by one more backtick than the
// longest run of backticks inside it, padded with a space when s begins or ends
// with a backtick (CommonMark strips one space on each side), newlines turned
// into spaces. Code spans are never executed as quick actions.
func InlineCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "` `"
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.TrimSpace(s) != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// TableCode is InlineCode for a table cell: in a GitHub-flavoured table a pipe
// ends the cell even inside a code span, so it is escaped as `\|`, which GitLab
// renders as "|" inside the span.
func TableCode(s string) string {
	return strings.ReplaceAll(InlineCode(s), "|", `\|`)
}
