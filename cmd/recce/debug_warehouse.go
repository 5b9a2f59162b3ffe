package main

import (
	"context"
	"fmt"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// debugWarehouse checks, for `recce debug`, that the profile's warehouse
// answers a query. Data diffs need it; lineage and schema diffs do not,
// which the message says.
func (a *app) debugWarehouse(ctx context.Context) []debugCheck {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	w, t, err := a.openWarehouse(ctx)
	if err != nil {
		return []debugCheck{{Name: "warehouse", Message: err.Error(),
			Hint: "data diffs (row counts, values, profiles) need it; lineage and schema diffs work without it"}}
	}
	defer w.Close()
	where := fmt.Sprintf("%s target %s (%s)", t.Profile, t.Name, t.Type)
	if _, _, err := warehouse.QueryRow(ctx, w, "select 1"); err != nil {
		return []debugCheck{{Name: "warehouse", Message: where + ": " + err.Error(),
			Hint: "check the connection settings in " + t.ProfilesPath}}
	}
	return []debugCheck{{Name: "warehouse", OK: true, Message: where + ": connected (" + t.ProfilesPath + ")"}}
}
