package web

import (
	"os"
	"os/exec"
	"testing"
)

// TestVitest runs the web app's unit tests (Vitest, src/**/*.test.ts[x]),
// so that the README's one test command covers them too. Without
// node_modules it skips, saying how to install them (CI does).
func TestVitest(t *testing.T) {
	if testing.Short() {
		t.Skip("the web app's unit tests take about 20 s: skipped with -short")
	}
	const vitest = "node_modules/.bin/vitest"
	if _, err := os.Stat(vitest); err != nil {
		t.Skip("SKIPPED the web app's unit tests: Vitest is not installed. Run: cd web && npm ci")
	}
	cmd := exec.CommandContext(t.Context(), vitest, "run", "--reporter=dot")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vitest run: %v\n%s", err, out)
	}
}
