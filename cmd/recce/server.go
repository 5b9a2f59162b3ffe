package main

import "github.com/spf13/cobra"

func (a *app) serverCmd() *cobra.Command { return notYet("server") }

func (a *app) uploadCmd() *cobra.Command { return notYet("upload") }
