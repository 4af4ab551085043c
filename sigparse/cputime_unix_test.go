//go:build unix

package sigparse

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user+system) the process has used, so the
// benchmark can report what parsing costs on a core even when the machine
// is shared and wall time includes waiting for one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
