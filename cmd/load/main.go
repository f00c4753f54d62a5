// Command load drives a running local platform (`make load`, `make soak`;
// scripts/load.sh starts one): it seeds load tenants of several tiers, runs
// the mixed workload through the gateway and the same operations raw against
// DynamoDB Local, prints throughput, latency percentiles, errors by status
// and code, 429s per tier and the platform/raw ratio, and reads back every
// acknowledged write. It exits 1 on a 5xx, a lost write or (with -soak)
// runtime figures that grow without bound.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
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
	rounds := flag.Int("rounds", 1, "alternating platform/raw rounds; the ratio is their median")
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
	flag.Parse()
	mix, err := loadtest.ParseMix(*mixFlag)
	if err != nil {
		return err
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
		var ratios []float64
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
		settle("preload")
		if *warmup > 0 && ctx.Err() == nil {
			l.Platform(ctx, *warmup)
			if *raw {
				if _, err := l.Raw(ctx, *warmup); err != nil {
					return err
				}
			}
			fmt.Printf("warm-up: %s of each side, not counted\n\n", *warmup)
			settle("warm-up")
		}
		// Rounds alternate which side goes first (platform, raw | raw,
		// platform | ...), so a drift in the machine's speed over the run
		// (DynamoDB Local's JIT, other processes) favours neither side.
		rawPhase := func() (*loadtest.Stats, error) {
			before := cpu.Read()
			rs, err := l.Raw(ctx, 0)
			if err != nil {
				return nil, err
			}
			use := cpu.Since(before)
			rs.Print(os.Stdout)
			use.PerAnswer(os.Stdout, rs.Total())
			return rs, nil
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
		for r := 1; r <= max(*rounds, 1) && ctx.Err() == nil; r++ {
			var st, rs *loadtest.Stats
			if *raw && r%2 == 0 {
				if rs, err = rawPhase(); err != nil {
					return err
				}
			}
			before := cpu.Read()
			st = l.Platform(ctx, 0)
			use := cpu.Since(before)
			st.Print(os.Stdout)
			use.PerAnswer(os.Stdout, st.Total())
			if st.ServerErrors() > 0 {
				failures = append(failures, fmt.Sprintf("round %d: %d answers were 5xx", r, st.ServerErrors()))
			}
			if !*raw {
				continue
			}
			if rs == nil {
				if rs, err = rawPhase(); err != nil {
					return err
				}
			}
			ratios = append(ratios, st.Throughput()/rs.Throughput())
			fmt.Printf("round %d: platform/raw throughput %.2f\n\n", r, ratios[len(ratios)-1])
		}
		pprof.StopCPUProfile() // the rounds only (a no-op without -cpuprofile)
		if len(ratios) > 0 {
			slices.Sort(ratios)
			fmt.Printf("platform throughput / raw DynamoDB throughput at %d workers: %.2f (median of %d rounds)\n", *workers, ratios[len(ratios)/2], len(ratios))
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

func tenantsOf() []string {
	var out []string
	for _, t := range loadtest.DefaultTenants {
		out = append(out, t.ID+" ("+string(t.Tier)+")")
	}
	return out
}
