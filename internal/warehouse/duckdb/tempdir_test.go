package duckdb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// A file is attached to a private in-memory instance, whose spill folder
// must not be .tmp in the working directory (the user's project).
func TestTemporaryFilesStayOutOfTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.duckdb")
	rw, err := Open(t.Context(), path, Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.DB().ExecContext(t.Context(), "create table t as select range as id from range(10)"); err != nil {
		t.Fatal(err)
	}
	rw.Close()

	w, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, row, err := warehouse.QueryRow(t.Context(), w, "select current_setting('temp_directory'), current_database(), (select count(*) from t)")
	if err != nil {
		t.Fatal(err)
	}
	tmp := row[0].(string)
	if tmp == ".tmp" || !strings.Contains(tmp, "recce-duckdb-") || row[1] != "shop" || warehouse.Int64(row[2]) != 10 {
		t.Errorf("temp_directory %q, catalog %v, rows %v", tmp, row[1], row[2])
	}
	// Read-only really is read-only.
	if _, err := w.DB().ExecContext(t.Context(), "insert into t values (11)"); err == nil {
		t.Error("a write succeeded on a read-only warehouse")
	}
	w.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary folder %s outlived Close: %v", tmp, err)
	}
}
