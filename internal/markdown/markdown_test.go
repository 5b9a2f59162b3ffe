package markdown

import (
	"strings"
	"testing"
)

func TestExecutableLinesFollowsGitLabRules(t *testing.T) {
	body := strings.Join([]string{
		"Summary of the change",
		"/close",                     // 2: plain paragraph: executed
		"/label ~data model changed", // 3: with arguments
		"```",                        // 4
		"/merge",                     // 5: in a code block
		"```",                        // 6
		">>>",                        // 7
		"/approve",                   // 8: in a quote block
		">>>",                        // 9
		"<details>",                  // 10
		"/unapprove",                 // 11: in an HTML block
		"</details>",                 // 12
		"> /close",                   // 13: block quote line
		"`/close`",                   // 14: code span
		" /close",                    // 15: GitLab needs column 0
		"a /close",                   // 16: not at the start
		"/close\r",                   // 17: CRLF, read conservatively
		"/",                          // 18: no command word
	}, "\n")
	got := ExecutableLines(body)
	want := map[int]string{2: "close", 3: "label", 17: "close"}
	if len(got) != len(want) {
		t.Fatalf("got %d executable lines %+v, want lines %v", len(got), got, want)
	}
	for _, l := range got {
		if want[l.Number] != l.Command {
			t.Errorf("line %d: command %q, want %q", l.Number, l.Command, want[l.Number])
		}
	}
	if got[1].Args != "~data model changed" {
		t.Errorf("args = %q", got[1].Args)
	}
}

func TestUnclosedFenceProtectsNothingInGitLab(t *testing.T) {
	// GitLab's CODE_REGEX needs a closing ``` line; without one the command runs.
	if got := ExecutableLines("```\n/close\n"); len(got) != 1 {
		t.Fatalf("got %+v, want /close executable", got)
	}
}

func TestNeutralizeQuickActions(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "/close\n", "\\/close\n"},
		{"indented up to three", "   /merge now", "   \\/merge now"},
		{"four spaces left alone", "    /merge", "    /merge"},
		{"middle of text", "Model `a`\n/approve\nend", "Model `a`\n\\/approve\nend"},
		{"fenced code kept", "```sql\n/close\n```\n", "```sql\n/close\n```\n"},
		{"tilde fence is not code for GitLab", "~~~\n/close\n~~~\n", "~~~\n\\/close\n~~~\n"},
		{"indented fence is not code for GitLab", " ```\n/close\n ```\n", " ```\n\\/close\n ```\n"},
		{"long fence closed early for GitLab only", "````\n```\n/close\n````\n", "````\n```\n\\/close\n````\n"},
		{"unclosed fence", "```\n/close\n", "```\n\\/close\n"},
		{"crlf kept", "a\r\n/close\r\n", "a\r\n\\/close\r\n"},
		{"no slash", "nothing to do", "nothing to do"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NeutralizeQuickActions(c.in)
			if got != c.want {
				t.Errorf("NeutralizeQuickActions(%q) = %q, want %q", c.in, got, c.want)
			}
			if ex := ExecutableLines(got); len(ex) != 0 {
				t.Errorf("executable lines survive: %+v", ex)
			}
		})
	}
}

func TestNeutralizeIsIdempotent(t *testing.T) {
	in := "/close\n```\n/merge\n```\n /x"
	once := NeutralizeQuickActions(in)
	if twice := NeutralizeQuickActions(once); twice != once {
		t.Fatalf("second pass changed the text: %q -> %q", once, twice)
	}
}

func TestTableCell(t *testing.T) {
	got := TableCell("a|b\nc <script> \\")
	want := `a\|b c &lt;script&gt; \\`
	if got != want {
		t.Fatalf("TableCell = %q, want %q", got, want)
	}
}

func TestInlineCode(t *testing.T) {
	cases := map[string]string{
		"orders":      "`orders`",
		"a`b":         "``a`b``",
		"`x":          "`` `x ``",
		"":            "` `",
		"line\nbreak": "`line break`",
	}
	for in, want := range cases {
		if got := InlineCode(in); got != want {
			t.Errorf("InlineCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := TableCode("a|b"); got != "`a\\|b`" {
		t.Errorf("TableCode = %q", got)
	}
}

func TestRemoveLines(t *testing.T) {
	if got := RemoveLines("a\n/close\nb", []int{2}); got != "a\nb" {
		t.Fatalf("RemoveLines = %q", got)
	}
}

// FuzzNeutralize checks the property the product relies on: after
// NeutralizeQuickActions no line would be executed by GitLab, whatever the
// input, and no line outside a code block both models agree on starts with a
// slash after up to three spaces.
func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{
		"/close", "```\n/merge\n```", ">>>\n/approve\n>>>", "<p>\n/close\n</p>",
		"````\n```\n/close\n````", "~~~\n/close\n~~~", "  /close\r\n", "`\n/close\n`",
		"| model | /close |\n|---|---|", "```\n```\n/close", "\n\n/\n/ /\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := NeutralizeQuickActions(in)
		if ex := ExecutableLines(out); len(ex) != 0 {
			t.Fatalf("executable lines survive in %q: %+v", out, ex)
		}
		lines := strings.SplitAfter(out, "\n")
		gl, cm := gitlabCodeLines(lines), commonMarkFenceLines(lines)
		for i, l := range lines {
			if !(gl[i] && cm[i]) && slashIndent(l) >= 0 {
				t.Fatalf("line %d %q still starts with a slash in %q", i+1, l, out)
			}
		}
		if strings.ReplaceAll(out, `\/`, "/") != strings.ReplaceAll(in, `\/`, "/") {
			t.Fatalf("text changed beyond escaping slashes: %q -> %q", in, out)
		}
	})
}
