package main

import "github.com/spf13/cobra"

func (a *app) debugCmd() *cobra.Command { return notYet("debug") }

func (a *app) lineageDiffCmd() *cobra.Command { return notYet("lineage-diff") }

func (a *app) schemaDiffCmd() *cobra.Command { return notYet("schema-diff") }
