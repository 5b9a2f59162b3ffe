package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoShowsItsLineageDiff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out, errOut, code := runRecce(t, "demo", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Lineage diff of the demo", "customer_cohorts", "legacy_order_summary", "int_customer_payments", "config"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The project it wrote is usable by the other commands.
	out, errOut, code = runRecce(t, "lineage-diff", "--project-dir", dir, "--select", "state:modified", "--format", "json")
	if code != 0 || !strings.Contains(out, `"model.recce_demo.customer_cohorts"`) {
		t.Errorf("lineage-diff in the demo: exit %d %s", code, errOut)
	}
}

func TestDemoRefusesAForeignFolder(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runRecce(t, "demo", dir)
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("exit %d, stderr %q: want a refusal naming --force", code, errOut)
	}
	if b, _ := os.ReadFile(keep); string(b) != "mine" {
		t.Error("the user's file was touched")
	}
}
