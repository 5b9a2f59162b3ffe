package duckdbparser

import (
	"slices"
	"strings"
)

// Normalisation rewrites what DuckDB's parser does not read in other
// warehouses' SQL into DuckDB's equivalent, without changing what the
// statement reads or computes (the tree is only followed, never run):
//
//   - Snowflake: semi-structured access col:path.to[0] becomes
//     col['path']['to'][0]; MINUS becomes EXCEPT; backslash escapes in
//     strings.
//   - BigQuery: `project.dataset.table` becomes "project"."dataset"."table";
//     "strings" and r'raw strings' become 'strings'; # comments; SELECT *
//     EXCEPT (...) becomes * EXCLUDE (...); SAFE_CAST becomes TRY_CAST.
//   - Databricks, Spark: `identifiers`.
//   - Redshift: MINUS.
//   - Every dialect: fn(...) WITHIN GROUP (ORDER BY ...) becomes
//     fn(... ORDER BY ...), except for the functions DuckDB reads in that
//     form (percentile_cont, percentile_disc, mode).

type tokKind uint8

const (
	tSpace tokKind = iota
	tComment
	tWord
	tQuoted // "identifier" (or `identifier`, rewritten)
	tString // 'string' (text rewritten to DuckDB's quoting)
	tNumber
	tOp
)

type token struct {
	kind tokKind
	text string
}

type dialectRules struct {
	backslash  bool // backslash escapes in strings
	dquoteStr  bool // "..." is a string (BigQuery)
	backtick   bool // `identifier`
	splitTicks bool // `a.b.c` is three parts (BigQuery)
	hashCmt    bool // # starts a comment
	colonPath  bool // col:path (Snowflake)
	minus      bool // MINUS is EXCEPT
	rlike      bool // RLIKE and REGEXP operators
	bigquery   bool
}

func rulesFor(dialect string) dialectRules {
	switch dialect {
	case "snowflake":
		return dialectRules{backslash: true, colonPath: true, minus: true, rlike: true}
	case "bigquery":
		return dialectRules{backslash: true, dquoteStr: true, backtick: true, splitTicks: true, hashCmt: true, bigquery: true}
	case "databricks", "spark":
		return dialectRules{backslash: true, backtick: true, minus: true, rlike: true}
	case "redshift":
		return dialectRules{minus: true}
	case "mysql", "singlestore":
		return dialectRules{backslash: true, backtick: true, hashCmt: true}
	}
	return dialectRules{}
}

// normalized is a statement ready for DuckDB's parser.
type normalized struct {
	sql string
	// alone: the statement must be parsed on its own, not in a batch
	// joined with others (it has a semicolon, or an unterminated string or
	// comment that would swallow its neighbours).
	alone bool
}

func normalize(dialect, sql string) normalized {
	rules := rulesFor(dialect)
	if rules == (dialectRules{}) {
		// DuckDB, PostgreSQL...: nothing to rewrite but WITHIN GROUP, so
		// most statements are only scanned.
		alone, rewrite := scan(sql)
		if !rewrite {
			return normalized{sql: sql, alone: alone}
		}
	}
	toks, alone := lex(sql, rules)
	if rules.colonPath {
		toks = colonPaths(toks)
		toks = tableFunctions(toks)
	}
	toks = withinGroup(toks)
	var b strings.Builder
	b.Grow(len(sql) + 16)
	for i, t := range toks {
		text := t.text
		if t.kind == tWord {
			switch strings.ToLower(text) {
			case "minus":
				if rules.minus && nextWordIn(toks, i, "select", "(", "all", "distinct") {
					text = "EXCEPT"
				}
			case "except":
				if rules.bigquery && prevSig(toks, i) == "*" && nextWordIn(toks, i, "(") {
					text = "EXCLUDE"
				}
			case "array", "object":
				// Snowflake's semi-structured types, as cast targets.
				if rules.colonPath && (prevSig(toks, i) == "::" ||
					(strings.EqualFold(prevSig(toks, i), "as") && nextWordIn(toks, i, ")"))) {
					text = `"` + strings.ToUpper(text) + `"`
				}
			case "any", "all":
				// x LIKE ANY ('a', 'b'): the patterns as a list.
				if p := strings.ToLower(prevSig(toks, i)); (p == "like" || p == "ilike") && nextWordIn(toks, i, "(") {
					text = "list_value"
				}
			case "rlike", "regexp":
				if rules.rlike {
					text = "SIMILAR TO"
				}
			case "sample":
				// Snowflake's SAMPLE (10), SAMPLE BERNOULLI (10).
				if rules.colonPath && nextWordIn(toks, i, "(", "bernoulli", "system", "block", "row") {
					text = "TABLESAMPLE"
					if nextWordIn(toks, i, "(") {
						text += " BERNOULLI"
					}
				}
			case "timestamp", "date", "datetime", "time":
				// BigQuery's TIMESTAMP('...') is a function, not a type.
				if rules.bigquery && nextWordIn(toks, i, "(") {
					text = `"` + strings.ToLower(text) + `"`
				}
			case "safe_cast":
				if rules.bigquery && nextWordIn(toks, i, "(") {
					text = "TRY_CAST"
				}
			}
		}
		if t.kind == tOp && t.text == "." && rules.colonPath && i+1 < len(toks) && toks[i+1].text == "." {
			text = `."PUBLIC"` // Snowflake's db..table is db.PUBLIC.table
		}
		b.WriteString(text)
	}
	return normalized{sql: b.String(), alone: alone}
}

// scan reads SQL in standard quoting without building tokens: alone as
// in lex, and whether there is anything to rewrite (WITHIN GROUP, LIKE ANY)
// outside strings and comments.
func scan(s string) (alone, rewrite bool) {
	prevLike := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return true, rewrite
			}
			i += 2 + end + 2
		case c == '\'' || c == '"':
			end := closing(s, i+1, c)
			if end < 0 {
				return true, rewrite
			}
			i = end + 1
			prevLike = false
		case c == '$' && i+1 < len(s) && (s[i+1] == '$' || isWordStart(s[i+1])):
			// Dollar quoting is rare: leave it to the lexer.
			return true, true
		case c == ';':
			alone = true
			i++
		case isWordStart(c):
			start := i
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			w := s[start:i]
			if strings.EqualFold(w, "within") || (prevLike && (strings.EqualFold(w, "any") || strings.EqualFold(w, "all"))) {
				rewrite = true
			}
			prevLike = strings.EqualFold(w, "like") || strings.EqualFold(w, "ilike")
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			prevLike = false
			i++
		}
	}
	return alone, rewrite
}

func isWordStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= 0x80
}

func isWordChar(c byte) bool { return isWordStart(c) || ('0' <= c && c <= '9') || c == '$' }

// lex splits SQL into tokens, rewriting quoting into DuckDB's. alone
// reports a semicolon or an unterminated string or comment.
func lex(s string, rules dialectRules) (toks []token, alone bool) {
	toks = make([]token, 0, len(s)/3)
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
				i++
			}
			toks = append(toks, token{tSpace, s[start:i]})
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '#' && rules.hashCmt:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			toks = append(toks, token{tComment, "--" + strings.TrimLeft(s[start:i], "-#")})
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i, alone = len(s), true
			} else {
				i += 2 + end + 2
			}
			toks = append(toks, token{tComment, s[start:i]})
		case c == '\'':
			text, n, ok := readString(s[i:], '\'', rules.backslash)
			i += n
			alone = alone || !ok
			toks = append(toks, token{tString, text})
		case c == '"' && rules.dquoteStr:
			text, n, ok := readString(s[i:], '"', rules.backslash)
			i += n
			alone = alone || !ok
			toks = append(toks, token{tString, text})
		case (c == 'r' || c == 'R') && rules.bigquery && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"'):
			text, n, ok := readString(s[i+1:], s[i+1], false)
			i += 1 + n
			alone = alone || !ok
			toks = append(toks, token{tString, text})
		case c == '"':
			end := closing(s, i+1, '"')
			if end < 0 {
				i, alone = len(s), true
			} else {
				i = end + 1
			}
			toks = append(toks, token{tQuoted, s[start:i]})
		case c == '`' && rules.backtick:
			end := closing(s, i+1, '`')
			if end < 0 {
				i, alone = len(s), true
				toks = append(toks, token{tQuoted, s[start:i]})
				break
			}
			i = end + 1
			toks = append(toks, token{tQuoted, backtickToQuotes(s[start+1:end], rules.splitTicks)})
		case c == '$' && i+1 < len(s) && (s[i+1] == '$' || isWordStart(s[i+1])):
			// $$...$$ or $tag$...$tag$; $name alone is a parameter.
			j := i + 1
			for j < len(s) && isWordChar(s[j]) && s[j] != '$' {
				j++
			}
			if j < len(s) && s[j] == '$' {
				tag := s[i : j+1]
				end := strings.Index(s[j+1:], tag)
				if end < 0 {
					i, alone = len(s), true
				} else {
					i = j + 1 + end + len(tag)
				}
				toks = append(toks, token{tString, s[start:i]})
				break
			}
			i = j
			toks = append(toks, token{tWord, s[start:i]})
		case c == '$' && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9':
			i++
			for i < len(s) && '0' <= s[i] && s[i] <= '9' {
				i++
			}
			toks = append(toks, token{tWord, s[start:i]})
		case isWordStart(c):
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			toks = append(toks, token{tWord, s[start:i]})
		case '0' <= c && c <= '9' || (c == '.' && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9'):
			for i < len(s) && (isWordChar(s[i]) || s[i] == '.' ||
				((s[i] == '+' || s[i] == '-') && (s[i-1] == 'e' || s[i-1] == 'E'))) {
				i++
			}
			toks = append(toks, token{tNumber, s[start:i]})
		default:
			i++
			for _, op := range [...]string{"::", "->>", "->", "=>", "<=", ">=", "<>", "!=", "||"} {
				if strings.HasPrefix(s[start:], op) {
					i = start + len(op)
					break
				}
			}
			if c == ';' {
				alone = true
			}
			toks = append(toks, token{tOp, s[start:i]})
		}
	}
	return toks, alone
}

// readString reads a quoted string at s[0] and returns it in DuckDB's
// quoting ('...' with ” for a quote), its length in s, and whether it is
// terminated.
func readString(s string, q byte, backslash bool) (string, int, bool) {
	var b strings.Builder
	b.WriteByte('\'')
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && backslash && i+1 < len(s):
			if s[i+1] == '\'' || s[i+1] == '"' {
				// An escaped quote is the quote itself.
				if s[i+1] == '\'' {
					b.WriteString("''")
				} else {
					b.WriteByte('"')
				}
			} else {
				b.WriteString(s[i : i+2])
			}
			i += 2
			continue
		case c == q && i+1 < len(s) && s[i+1] == q:
			if q == '\'' {
				b.WriteString("''")
			} else {
				b.WriteByte(q)
			}
			i += 2
			continue
		case c == q:
			b.WriteByte('\'')
			return b.String(), i + 1, true
		case c == '\'':
			b.WriteString("''")
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('\'')
	return b.String(), len(s), false
}

// closing finds the quote that closes a quoted identifier starting at from
// (a doubled quote is part of it), or -1.
func closing(s string, from int, q byte) int {
	for i := from; i < len(s); i++ {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i
		}
	}
	return -1
}

// backtickToQuotes quotes a backticked name with double quotes, each part
// separately when split (BigQuery's `project.dataset.table`).
func backtickToQuotes(name string, split bool) string {
	name = strings.ReplaceAll(name, "``", "`")
	parts := []string{name}
	if split {
		parts = strings.Split(name, ".")
	}
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

func significant(t token) bool { return t.kind != tSpace && t.kind != tComment }

// prevSig is the text of the significant token before i ("" at the start).
func prevSig(toks []token, i int) string {
	for j := i - 1; j >= 0; j-- {
		if significant(toks[j]) {
			return toks[j].text
		}
	}
	return ""
}

func nextSigIndex(toks []token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if significant(toks[j]) {
			return j
		}
	}
	return -1
}

// nextWordIn reports whether the significant token after i is one of words
// (case-insensitively).
func nextWordIn(toks []token, i int, words ...string) bool {
	j := nextSigIndex(toks, i)
	if j < 0 {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(toks[j].text, w) {
			return true
		}
	}
	return false
}

// colonPaths rewrites Snowflake's col:key.key[0] into col['key']['key'][0].
func colonPaths(toks []token) []token {
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tOp || t.text != ":" {
			out = append(out, t)
			continue
		}
		// The value the path applies to: a name, a quoted name, or a
		// bracket or parenthesis just closed.
		p := len(out) - 1
		for p >= 0 && !significant(out[p]) {
			p--
		}
		j := nextSigIndex(toks, i)
		if p < 0 || j < 0 || !(out[p].kind == tWord || out[p].kind == tQuoted || strings.HasSuffix(out[p].text, "]") || out[p].text == ")") ||
			!(toks[j].kind == tWord || toks[j].kind == tQuoted) || isKeyword(out[p].text) {
			out = append(out, t)
			continue
		}
		out = out[:p+1] // the spaces around the colon go
		out = append(out, token{tOp, pathKey(toks[j])})
		i = j
		// .key steps right after the path.
		for i+2 < len(toks) && toks[i+1].text == "." && (toks[i+2].kind == tWord || toks[i+2].kind == tQuoted) {
			out = append(out, token{tOp, pathKey(toks[i+2])})
			i += 2
		}
	}
	return out
}

func pathKey(t token) string {
	name := t.text
	if t.kind == tQuoted && len(name) >= 2 {
		name = strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	return "['" + strings.ReplaceAll(name, "'", "''") + "']"
}

// isKeyword tells the words after which a colon cannot be a path.
func isKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "select", "where", "and", "or", "then", "else", "when", "on", "by", "as", "in", "not", "is":
		return true
	}
	return false
}

// withinGroup rewrites fn(args) WITHIN GROUP (ORDER BY x) into
// fn(args ORDER BY x), which DuckDB reads for any aggregate.
func withinGroup(toks []token) []token {
	if !slices.ContainsFunc(toks, func(t token) bool { return t.kind == tWord && strings.EqualFold(t.text, "within") }) {
		return toks
	}
	match := map[int]int{} // ")" index → "(" index
	var stack []int
	var drop map[int]bool
	for i, t := range toks {
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(":
			stack = append(stack, i)
		case ")":
			if len(stack) > 0 {
				match[i] = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		}
	}
	for i, t := range toks {
		if t.kind != tWord || !strings.EqualFold(t.text, "within") {
			continue
		}
		g := nextSigIndex(toks, i)
		if g < 0 || !strings.EqualFold(toks[g].text, "group") {
			continue
		}
		open := nextSigIndex(toks, g)
		if open < 0 || toks[open].text != "(" {
			continue
		}
		closeIdx := -1
		for j := i - 1; j >= 0; j-- {
			if significant(toks[j]) {
				if toks[j].text == ")" {
					closeIdx = j
				}
				break
			}
		}
		o, ok := match[closeIdx]
		if closeIdx < 0 || !ok {
			continue
		}
		fn := strings.ToLower(prevSig(toks, o))
		if fn == "percentile_cont" || fn == "percentile_disc" || fn == "mode" {
			continue
		}
		if drop == nil {
			drop = map[int]bool{}
		}
		for _, k := range []int{closeIdx, i, g, open} {
			drop[k] = true
		}
	}
	if drop == nil {
		return toks
	}
	out := make([]token, 0, len(toks))
	for i, t := range toks {
		if drop[i] {
			out = append(out, token{tSpace, " "})
			continue
		}
		out = append(out, t)
	}
	return out
}

// tableFunctions rewrites Snowflake's TABLE(fn(...)) in FROM into fn(...).
func tableFunctions(toks []token) []token {
	var drop map[int]bool
	for i, t := range toks {
		if t.kind != tWord || !strings.EqualFold(t.text, "table") {
			continue
		}
		open := nextSigIndex(toks, i)
		if open < 0 || toks[open].text != "(" {
			continue
		}
		fn := nextSigIndex(toks, open)
		if fn < 0 || toks[fn].kind != tWord {
			continue
		}
		if next := nextSigIndex(toks, fn); next < 0 || toks[next].text != "(" {
			continue
		}
		depth := 0
		for j := open; j < len(toks); j++ {
			switch toks[j].text {
			case "(":
				depth++
			case ")":
				depth--
			}
			if depth == 0 {
				if drop == nil {
					drop = map[int]bool{}
				}
				drop[i], drop[open], drop[j] = true, true, true
				break
			}
		}
	}
	if drop == nil {
		return toks
	}
	out := make([]token, 0, len(toks))
	for i, t := range toks {
		if drop[i] {
			t = token{tSpace, " "}
		}
		out = append(out, t)
	}
	return out
}
