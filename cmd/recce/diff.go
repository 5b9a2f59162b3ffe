package main

import "github.com/spf13/cobra"

func (a *app) diffCmd() *cobra.Command { return notYet("diff") }

func (a *app) queryCmd() *cobra.Command { return notYet("query") }
