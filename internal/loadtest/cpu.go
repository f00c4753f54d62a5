package loadtest

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU reads the CPU time (user + system) of named processes from
// /proc/<pid>/stat, so a phase can report each process's CPU per answer:
// a figure that, unlike throughput, changes little when other work shares
// the machine, and that says where a phase's CPU went (the platform
// process, DynamoDB Local, the load tool itself).
type CPU struct {
	Procs []Proc
}

// Proc is one process to meter.
type Proc struct {
	Name string
	PID  int
}

// ParseProcs reads "name=pid,name=pid" (cmd/load's -cpu flag); "self" as a
// pid is this process.
func ParseProcs(s string) ([]Proc, error) {
	var out []Proc
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("-cpu %q: want name=pid", kv)
		}
		pid := os.Getpid()
		if v != "self" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("-cpu %q: bad pid", kv)
			}
			pid = n
		}
		out = append(out, Proc{Name: name, PID: pid})
	}
	return out, nil
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// procCPU is the user + system time of pid so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command (field 2) is in parentheses and may hold spaces: the
	// fields after its closing parenthesis start at field 3 (state).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// procSwitches is the context switches of each of pid's threads so far
// (thread id -> switches), from /proc/<pid>/task/*/status: voluntary (a
// thread waited: for a socket, a lock, work) and involuntary (preempted
// while it could run).
func procSwitches(pid int) (map[int]Switches, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[int]Switches, len(tasks))
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/" + t.Name() + "/status")
		if err != nil {
			continue // the thread ended meanwhile
		}
		var sw Switches
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				sw.Voluntary += n
			case "nonvoluntary_ctxt_switches":
				sw.Involuntary += n
			}
		}
		out[tid] = sw
	}
	return out, nil
}

// switchesSince is the context switches of a process's threads from
// before to now, thread by thread. Summing the threads of each reading and
// subtracting went negative: a thread that ended between the two took its
// count out of the second sum (the Go runtime and the JVM end idle
// threads), and a thread id reused by a new thread counts from zero again.
// Here a thread of both readings adds what it switched since, a thread
// only in now (new, or its id reused: its count went down) all of its
// count, and a thread that ended adds nothing (what it switched between
// the readings is lost with it): never less than zero.
func switchesSince(before, now map[int]Switches) Switches {
	var d Switches
	for tid, n := range now {
		b, ok := before[tid]
		if !ok || n.Voluntary < b.Voluntary || n.Involuntary < b.Involuntary {
			b = Switches{}
		}
		d.Voluntary += n.Voluntary - b.Voluntary
		d.Involuntary += n.Involuntary - b.Involuntary
	}
	return d
}

// Switches are a process's context switches: voluntary (a thread waited
// and was woken again: a request handed between threads, an idle server
// thread woken for the next request) and involuntary (a thread preempted
// while it could run: CPUs shared with other work).
type Switches struct{ Voluntary, Involuntary int64 }

// Reading is the CPU time and context switches of each metered process at
// one moment (a process that cannot be read is left out).
type Reading map[string]Sample

// Sample is one process's Reading.
type Sample struct {
	CPU time.Duration
	// Threads are the context switches of each thread (by id).
	Threads map[int]Switches
}

// Read takes a Reading.
func (c *CPU) Read() Reading {
	if c == nil {
		return nil
	}
	r := Reading{}
	for _, p := range c.Procs {
		d, err := procCPU(p.PID)
		if err != nil {
			continue
		}
		sw, _ := procSwitches(p.PID)
		r[p.Name] = Sample{CPU: d, Threads: sw}
	}
	return r
}

// CPUUse is what each process spent during a phase.
type CPUUse struct {
	Procs    []Proc
	Spent    map[string]time.Duration
	Switched map[string]Switches
}

// Since is the CPU spent and the context switches from before to now.
func (c *CPU) Since(before Reading) CPUUse {
	u := CPUUse{Spent: map[string]time.Duration{}, Switched: map[string]Switches{}}
	if c == nil {
		return u
	}
	u.Procs = c.Procs
	now := c.Read()
	for name, s := range now {
		if b, ok := before[name]; ok {
			u.Spent[name] = s.CPU - b.CPU
			u.Switched[name] = switchesSince(b.Threads, s.Threads)
		}
	}
	return u
}

// Total is the CPU every metered process spent.
func (u CPUUse) Total() time.Duration {
	var t time.Duration
	for _, d := range u.Spent {
		t += d
	}
	return t
}

// PerAnswer prints each process's CPU per answer of a phase (ms), and its
// context switches per answer (voluntary/involuntary): a server whose
// threads wait and are woken for each request spends more CPU per answer
// than one kept busy, and a process preempted more shares its CPUs more.
func (u CPUUse) PerAnswer(w io.Writer, answers int) {
	if len(u.Spent) == 0 || answers == 0 {
		return
	}
	var parts, sws []string
	var total time.Duration
	for _, p := range u.Procs {
		d, ok := u.Spent[p.Name]
		if !ok {
			continue
		}
		total += d
		parts = append(parts, fmt.Sprintf("%s %.3f", p.Name, float64(d.Microseconds())/1000/float64(answers)))
		sw := u.Switched[p.Name]
		sws = append(sws, fmt.Sprintf("%s %.2f/%.2f", p.Name, float64(sw.Voluntary)/float64(answers), float64(sw.Involuntary)/float64(answers)))
	}
	fmt.Fprintf(w, "  CPU ms per answer: %s; all %.3f\n", strings.Join(parts, ", "), float64(total.Microseconds())/1000/float64(answers))
	fmt.Fprintf(w, "  context switches per answer (voluntary/involuntary): %s\n", strings.Join(sws, ", "))
}
