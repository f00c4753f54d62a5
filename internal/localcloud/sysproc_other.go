//go:build !linux

package localcloud

import "syscall"

// sysProcAttr: a process group of its own; outside Linux there is no parent
// death signal, and a service can outlive a killed parent.
func sysProcAttr(bool) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
