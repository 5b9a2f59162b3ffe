package main

import "github.com/spf13/cobra"

func (a *app) gitlabCmd() *cobra.Command { return notYet("gitlab") }
