package main

import "github.com/spf13/cobra"

func (a *app) runCmd() *cobra.Command { return notYet("run") }

func (a *app) summaryCmd() *cobra.Command { return notYet("summary") }
