package columnlineage_test

import (
	"os"

	"gitlab.com/recce-go/recce/internal/columnlineage/duckdbparser"
)

func filepathTemp() (string, error) { return os.MkdirTemp("", "recce-cll-bench-") }

func duckdbparserNew() *duckdbparser.Parser { return duckdbparser.New(duckdbparser.Options{}) }
