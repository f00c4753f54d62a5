// Command load drives a running local platform (`make load`, `make soak`;
// scripts/load.sh starts one): it seeds load tenants of several tiers, runs
// the mixed workload through the gateway and the same operations raw against
// DynamoDB Local, prints throughput, latency percentiles, errors by status
// and code, 429s per tier and the platform/raw ratio, and reads back every
// acknowledged write. With -floor it also runs the reads against the floor
// (loadtest.Floor, this binary again with -serve-floor: the least any HTTP
// gateway could cost) and with -hop the gateway path without DynamoDB.
// It exits 1 on a 5xx, a lost write or (with -soak) runtime figures that
// grow without bound.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/loadtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	platform := flag.String("platform", ".local/load/platform.json", "platform description written by `issuetracker dev`")
	workers := flag.Int("workers", 16, "concurrent clients (and raw workers), shared out among the tenants")
	duration := flag.Duration("duration", 20*time.Second, "length of each platform and raw phase")
	rounds := flag.Int("rounds", 1, "rounds of the phases (platform, raw, and with -floor and -hop those), each round starting one phase later; each ratio is the median of the rounds")
	preload := flag.Int("preload", 30, "issues created per tenant before the run")
	raw := flag.Bool("raw", true, "run the raw DynamoDB phase and print the ratio")
	warmup := flag.Duration("warmup", 3*time.Second, "unreported platform and raw phases before the rounds (caches, connections, DynamoDB Local's JIT)")
	settleFor := flag.Duration("settle", 60*time.Second, "before the warm-up and again before the rounds, wait up to this long for the metered processes (-cpu, the load tool aside) to go quiet: each under -quiet of a CPU for two seconds running (the stream consumers' work on the preload, DynamoDB Local's JIT); 0: no wait")
	quiet := flag.Float64("quiet", 0.1, "the share of one CPU under which -settle counts a process quiet")
	soak := flag.Bool("soak", false, "sample the platform's memory and goroutines (-debug) and apply the growth rule")
	debugURL := flag.String("debug", "", "the platform's /debug/vars URL ("+envvars.DebugAddr+" of `issuetracker dev`)")
	every := flag.Duration("sample", 15*time.Second, "sampling interval of -soak")
	cpuFlag := flag.String("cpu", "", "processes whose CPU per answer each phase reports, name=pid,... (\"self\": this process; scripts/load.sh names the platform, DynamoDB Local and the load tool)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load tool over the rounds (after the warm-up) to this file: with -raw=false, the gateway phase's HTTP client and bookkeeping alone")
	mixFlag := flag.String("mix", "", "operation weights, e.g. read=1 (default read=40,list=15,search=10,create=15,update=12,comment=8)")
	floorFlag := flag.Bool("floor", false, "with -mix read=1: each round also runs the reads against the floor (loadtest.Floor: a bare net/http server in a process of its own answering GET /v1/issues/{id} with the platform's GetItem and JSON, at the platform's GOGC) and prints floor/raw and platform/floor")
	hopFlag := flag.Bool("hop", false, "each round also runs GET /v1/issues/~hop through the gateway (the whole path, answered 404 before any DynamoDB call) and prints hop/raw")
	serveFloor := flag.Bool("serve-floor", false, "be the floor's process (started by -floor): read the callers from stdin, serve until stdin ends")
	flag.Parse()
	if *serveFloor {
		pl, err := devstack.ReadPlatform(*platform)
		if err != nil {
			return err
		}
		return loadtest.ServeFloor(context.Background(), pl, os.Stdin, os.Stdout)
	}
	mix, err := loadtest.ParseMix(*mixFlag)
	if err != nil {
		return err
	}
	if *floorFlag && (len(mix) != 1 || mix[loadtest.OpRead] == 0) {
		return fmt.Errorf("-floor answers reads only: it needs -mix read=1")
	}
	procs, err := loadtest.ParseProcs(*cpuFlag)
	if err != nil {
		return err
	}
	cpu := &loadtest.CPU{Procs: procs}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pl, err := devstack.ReadPlatform(*platform)
	if err != nil {
		return err
	}
	l, err := loadtest.Prepare(ctx, loadtest.Config{Platform: pl, Workers: *workers, Duration: *duration, Preload: *preload, Mix: mix})
	if err != nil {
		return err
	}
	fmt.Printf("load: %s, tenants %v, %d workers, %s per phase\n\n", pl.GatewayURL, tenantsOf(), *workers, *duration)
	var failures []string
	if *soak {
		failures = append(failures, soakRun(ctx, l, *debugURL, *every, *duration)...)
	} else {
		settle := func(after string) {
			if *settleFor <= 0 || ctx.Err() != nil {
				return
			}
			took, ok := cpu.Settle(ctx, os.Stdout, *quiet, time.Second, *settleFor)
			if ok {
				fmt.Printf("settled %.0fs after the %s (every metered process under %.2f of a CPU)\n\n", took.Seconds(), after, *quiet)
			} else if took > 0 {
				fmt.Printf("not settled %.0fs after the %s; going on\n\n", took.Seconds(), after)
			}
		}
		var floor *loadtest.FloorProc
		if *floorFlag {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			if floor, err = loadtest.StartFloor(ctx, exe, []string{"-platform", *platform}, l.FloorTenants()); err != nil {
				return err
			}
			defer floor.Close()
			cpu.Procs = append(cpu.Procs, loadtest.Proc{Name: loadtest.FloorName, PID: floor.PID})
			fmt.Printf("floor up: %s (pid %d, GOGC %d; pprof at %s)\n\n", floor.URL, floor.PID, floor.GOGC, floor.DebugURL)
		}
		ddbPort, err := loadtest.EndpointPort(pl.DynamoDBEndpoint)
		if err != nil {
			return fmt.Errorf("DynamoDB endpoint %q: %w", pl.DynamoDBEndpoint, err)
		}
		// The phases of a round, in the order of the first; each round
		// starts one later (floor, platform, raw, hop | platform, raw,
		// hop, floor | ...), so a drift in the machine's speed over the run
		// (DynamoDB Local's JIT, other processes) favours no side.
		type phase struct {
			name string
			run  func(d time.Duration) (*loadtest.Stats, error)
		}
		var phases []phase
		if floor != nil {
			phases = append(phases, phase{loadtest.FloorName, func(d time.Duration) (*loadtest.Stats, error) { return l.Floor(ctx, d, floor.URL), nil }})
		}
		phases = append(phases, phase{"platform", func(d time.Duration) (*loadtest.Stats, error) { return l.Platform(ctx, d), nil }})
		if *raw {
			phases = append(phases, phase{loadtest.RawName, func(d time.Duration) (*loadtest.Stats, error) { return l.Raw(ctx, d) }})
		}
		if *hopFlag {
			phases = append(phases, phase{loadtest.HopName, func(d time.Duration) (*loadtest.Stats, error) { return l.Hop(ctx, d), nil }})
		}
		settle("preload")
		if *warmup > 0 && ctx.Err() == nil {
			for _, p := range phases {
				if _, err := p.run(*warmup); err != nil {
					return err
				}
			}
			fmt.Printf("warm-up: %s of each phase, not counted\n\n", *warmup)
			settle("warm-up")
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer f.Close()
			defer pprof.StopCPUProfile() // a round that failed
		}
		ratios := map[string][]float64{}
		for r := 1; r <= max(*rounds, 1) && ctx.Err() == nil; r++ {
			// Throughput and the CPU of every metered process per answer,
			// by phase.
			tput, cpuPer := map[string]float64{}, map[string]float64{}
			for k := range phases {
				p := phases[(r-1+k)%len(phases)]
				before, c0 := cpu.Read(), readConns(ddbPort)
				st, err := p.run(0)
				if err != nil {
					return err
				}
				use, c1 := cpu.Since(before), readConns(ddbPort)
				st.Print(os.Stdout)
				use.PerAnswer(os.Stdout, st.Total())
				if c0 != nil && c1 != nil {
					c1.Print(os.Stdout, *c0)
				}
				fmt.Println()
				if st.ServerErrors() > 0 {
					failures = append(failures, fmt.Sprintf("round %d: %d %s answers were 5xx", r, st.ServerErrors(), p.name))
				}
				tput[p.name] = st.Throughput()
				if n := st.Total(); n > 0 && use.Total() > 0 {
					cpuPer[p.name] = use.Total().Seconds() / float64(n)
				}
			}
			line := fmt.Sprintf("round %d:", r)
			add := func(label, a, b string) {
				if tput[a] > 0 && tput[b] > 0 {
					ratios[label] = append(ratios[label], tput[a]/tput[b])
					line += fmt.Sprintf(" %s throughput %.2f;", label, tput[a]/tput[b])
				}
			}
			addCPU := func(label, a, b string) {
				// By CPU: on CPUs every process shares, throughput
				// follows the inverse of the CPU all of them spend per
				// answer, which other work on the machine moves less.
				if cpuPer[a] > 0 && cpuPer[b] > 0 {
					ratios[label+" by CPU"] = append(ratios[label+" by CPU"], cpuPer[b]/cpuPer[a])
					line += fmt.Sprintf(" %s by CPU %.2f;", label, cpuPer[b]/cpuPer[a])
				}
			}
			add("platform/raw", "platform", loadtest.RawName)
			add("floor/raw", loadtest.FloorName, loadtest.RawName)
			add("platform/floor", "platform", loadtest.FloorName)
			add("hop/raw", loadtest.HopName, loadtest.RawName)
			addCPU("platform/raw", "platform", loadtest.RawName)
			addCPU("floor/raw", loadtest.FloorName, loadtest.RawName)
			addCPU("platform/floor", "platform", loadtest.FloorName)
			addCPU("hop/raw", loadtest.HopName, loadtest.RawName)
			if line != fmt.Sprintf("round %d:", r) {
				fmt.Println(strings.TrimSuffix(line, ";") + "\n")
			}
		}
		pprof.StopCPUProfile() // the rounds only (a no-op without -cpuprofile)
		if rs := ratios["platform/raw"]; len(rs) > 0 {
			fmt.Printf("platform throughput / raw DynamoDB throughput at %d workers: %.2f (median of %d rounds)\n", *workers, median(rs), len(rs))
		}
		var meds []string
		for _, label := range []string{"floor/raw", "platform/floor", "hop/raw", "platform/raw by CPU", "floor/raw by CPU", "platform/floor by CPU", "hop/raw by CPU"} {
			if rs := ratios[label]; len(rs) > 0 {
				meds = append(meds, fmt.Sprintf("%s %.2f", label, median(rs)))
			}
		}
		if len(meds) > 0 {
			fmt.Printf("medians at %d workers: %s\n", *workers, strings.Join(meds, ", "))
		}
	}
	c, u, m := l.Ledger.Counts()
	fmt.Printf("acknowledged: %d creates, %d updates, %d comments; reading them back ...\n", c, u, m)
	v, err := l.Verify(context.Background())
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Println(v)
	for _, s := range v.Lost {
		failures = append(failures, "lost: "+s)
	}
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Println("FAIL", f)
		}
		return fmt.Errorf("%d failures", len(failures))
	}
	fmt.Println("PASS")
	return nil
}

func soakRun(ctx context.Context, l *loadtest.Load, url string, every, d time.Duration) []string {
	if url == "" {
		return []string{"-soak needs -debug (the platform's /debug/vars)"}
	}
	s := &loadtest.Sampler{URL: url, Every: every, Out: os.Stdout}
	fmt.Println("idle before the load:")
	before, err := s.Sample(ctx)
	if err != nil {
		return []string{err.Error()}
	}
	s.Samples = nil
	fmt.Printf("under load for %s (a sample every %s):\n", d, every)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(sctx); close(done) }()
	st := l.Platform(ctx, d)
	stop()
	<-done
	under := s.Samples
	st.Print(os.Stdout)
	l.CloseIdle()
	time.Sleep(3 * time.Second) // the server notices the closed connections
	fmt.Println("idle after the load:")
	after, err := s.Sample(context.Background())
	if err != nil {
		return []string{err.Error()}
	}
	var bad []string
	if st.ServerErrors() > 0 {
		bad = append(bad, fmt.Sprintf("%d answers were 5xx", st.ServerErrors()))
	}
	growth := loadtest.Growth(under, before, after)
	if len(growth) == 0 {
		fmt.Printf("growth rule: goroutines and heap of the last third within %.1fx (+%d goroutines, +%d MiB) of the first; idle goroutines back within %d: held\n",
			loadtest.GrowthFactor, loadtest.GoroutineSlack, loadtest.HeapSlack>>20, loadtest.IdleSlack)
	}
	return append(bad, growth...)
}

// readConns reads the connections to DynamoDB Local's port (nil when
// /proc/net/tcp cannot be read).
func readConns(port int) *loadtest.Conns {
	c, err := loadtest.ReadConns(port)
	if err != nil {
		return nil
	}
	return &c
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func tenantsOf() []string {
	var out []string
	for _, t := range loadtest.DefaultTenants {
		out = append(out, t.ID+" ("+string(t.Tier)+")")
	}
	return out
}
