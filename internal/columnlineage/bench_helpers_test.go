package columnlineage_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/columnlineage/duckdbparser"
)

func filepathTemp() (string, error) { return os.MkdirTemp("", "recce-cll-bench-") }

func duckdbparserNew() *duckdbparser.Parser { return duckdbparser.New(duckdbparser.Options{}) }

// cpuTime is the process's CPU time so far (user and system, every
// thread, DuckDB's included): on a shared, busy machine it says more about
// the work than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-s/op metric from the CPU time spent since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}
