package check

// simple: a note, a check with a name and a description that a reviewer
// ticks. It never runs; its verdict is Info.

// Simple is a note: a check with a name and a description that a
// reviewer ticks, with no run.
const Simple Type = "simple"

func init() {
	register(&kind[struct{}, struct{}, struct{}]{typ: Simple, name: "Note"}, 1000)
}
