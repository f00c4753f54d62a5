package localcloud

import "syscall"

// sysProcAttr puts a service in a process group of its own (Stop signals
// the group: node and java have children), and, when dieWithParent, has
// the kernel SIGKILL it when the thread that started it dies. Go never ends
// an OS thread while goroutines run on it (only a goroutine locked with
// runtime.LockOSThread that exits takes its thread along, and the start
// path locks none), so in practice this is the death of the process.
func sysProcAttr(dieWithParent bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if dieWithParent {
		a.Pdeathsig = syscall.SIGKILL
	}
	return a
}
