//go:build unix

package tensor

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) used by this process so far.
// Benchmarks report it beside wall time: on a machine shared with other
// jobs, wall time measures the neighbours as much as the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
