package main

import "context"

// debugWarehouse checks the warehouse connection for `recce debug`.
func (a *app) debugWarehouse(ctx context.Context) []debugCheck { return nil }
