package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// A Platinum tenant's stack (IssueTracker-Tenant-<id>) declares functions
// of its own: the stream consumers of its table (stream-analytics,
// stream-activity) and, in another cell, its pool's user-migration
// trigger. The template mode runs them as it runs the platform's: built
// from the package the template names, each its own processes under the
// local Runtime API, with the tenant template's environment resolved to
// the local cloud (a variable the local cloud cannot resolve, or one the
// function's init misses, fails the tenant's deploy naming the function
// and the variable), and the tenant template's stream mappings reading the
// tenant's own table. The platform's mappings read the pooled table only,
// as in AWS.

// tenantStack is what runs for one tenant's stack.
type tenantStack struct {
	functions []string
	pools     []string // its pools with triggers (poolTriggers)
	pollers   []*streampoller.Poller
	stop      context.CancelFunc
	done      sync.WaitGroup
}

// TenantFunction is the local name of function fn of tenant id's stack
// ("stream-analytics@acme"): its processes' log prefix and reports.
func TenantFunction(fn, tenantID string) string { return fn + "@" + tenantID }

// runTenantStack runs the functions and stream mappings of the tenant
// stack at path, applied as res (localdeploy.Stacks.Deployed). A deploy of
// a stack that runs already (an update) replaces what ran.
func (s *Stack) runTenantStack(ctx context.Context, tenantID, path string, res localdeploy.Result) error {
	if s.Functions == nil {
		return nil // in-process mode: the consumers in process read every table
	}
	s.stopTenantStack(ctx, tenantID)
	stack := "IssueTracker-Tenant-" + tenantID
	tmpl, err := localdeploy.ReadTemplate(path)
	if err != nil {
		return err
	}
	fns, err := tmpl.Functions()
	if err != nil && len(tmpl.IDs(localdeploy.TypeFunction)) > 0 {
		return err
	}
	run := &tenantStack{}
	fail := func(err error) error {
		s.triggers.remove(run.pools)
		s.removeFunctions(run.functions)
		return fmt.Errorf("stack %s: %w", stack, err)
	}
	bins, err := s.binaries(fns)
	if err != nil {
		return fail(err)
	}
	l := s.locals(s.tcfg, tmpl, fns, res, s.ls)
	for _, f := range fns {
		env, err := l.Env(tmpl, f)
		if err != nil {
			return fail(err)
		}
		standIns(f, env, s.ls)
		name := TenantFunction(f.Name, tenantID)
		if _, err := s.Functions.Add(lambdaproc.Spec{Name: name, LogicalID: f.LogicalID, Binary: bins["./"+f.Source],
			Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB}); err != nil {
			return fail(err)
		}
		run.functions = append(run.functions, name)
		// A function another stack calls by its physical name (a pool's
		// user-migration trigger) is invoked by that name too.
		if fn, ok := tmpl.Resources[f.LogicalID].Properties["FunctionName"].(string); ok && fn != "" {
			s.Functions.Alias(localdeploy.PrefixRename(s.names.Prefix)(fn), name)
		}
	}
	// Its pool's triggers are its own (a Platinum pool's UserMigration).
	run.pools, err = s.poolTriggersOf(tmpl, l, res, s.ls, func(id string) (string, bool) {
		f, ok := localdeploy.FunctionByLogicalID(fns, id)
		return TenantFunction(f.Name, tenantID), ok
	})
	if err != nil {
		return fail(err)
	}
	if err := warm(ctx, s.Functions, run.functions); err != nil {
		return fail(err)
	}
	maps, queues, err := tmpl.EventSourceMappings()
	if err != nil {
		return fail(err)
	}
	if len(queues) > 0 {
		return fail(fmt.Errorf("queue mapping %s: the local cloud runs the platform's queue mapping only", queues[0].LogicalID))
	}
	phys := map[string]string{}
	for _, r := range res.Applied {
		phys[r.LogicalID] = r.PhysicalID
	}
	failures := s.failureQueues(tmpl, tenantID+"-")
	run.pollers, err = mappingPollers(maps, phys, s.ctl, s.streams, s.names, func(m localdeploy.StreamMapping) (changes.Consumer, error) {
		name := TenantFunction(m.Function, tenantID)
		f := s.Functions.Function(name)
		if f == nil {
			return nil, fmt.Errorf("the template maps it to function %s, which its stack does not declare", m.Function)
		}
		return processConsumer(f, name), nil
	}, failures.destination, s.tcfg.Log)
	if err != nil {
		return fail(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lambda | stack %s: %d functions started (%s)\n", stack, len(run.functions), strings.Join(run.functions, ", "))
	for i, m := range maps {
		run.pollers[i].FunctionARN = "arn:aws:lambda:" + lambdaproc.Region + ":000000000000:function:" + TenantFunction(m.Function, tenantID)
		b.WriteString(describeMapping(m, TenantFunction(m.Function, tenantID), failures.name))
	}
	fmt.Fprint(s.Functions.Log(), b.String())
	pctx, stop := context.WithCancel(s.pollCtx)
	run.stop = stop
	for _, p := range run.pollers {
		run.done.Add(1)
		s.polling.Add(1)
		go func() {
			defer s.polling.Done()
			defer run.done.Done()
			_ = p.Run(pctx)
		}()
	}
	s.addConsumers(run.pollers)
	s.registerRedrive(maps, run.pollers, failures)
	s.tenantMu.Lock()
	s.tenantStacks[tenantID] = run
	s.tenantMu.Unlock()
	return nil
}

// stopTenantStack stops the mappings and functions of a tenant's stack
// (localdeploy.Stacks.Destroying: before its table is deleted).
func (s *Stack) stopTenantStack(_ context.Context, tenantID string) {
	s.tenantMu.Lock()
	run := s.tenantStacks[tenantID]
	delete(s.tenantStacks, tenantID)
	s.tenantMu.Unlock()
	if run == nil {
		return
	}
	run.stop()
	run.done.Wait()
	s.removeConsumers(run.pollers)
	s.triggers.remove(run.pools)
	s.removeFunctions(run.functions)
}

func (s *Stack) removeFunctions(names []string) {
	for _, n := range names {
		s.Functions.Remove(n)
	}
}

// resumeTenantStacks runs the stacks of the Platinum tenants deployed
// before this start (their templates are kept under the state directory;
// applying one again changes nothing that exists, as a deploy without
// changes). A tenant whose template is gone (its deploy never finished) is
// deployed by its onboarding run.
func (s *Stack) resumeTenantStacks(ctx context.Context) error {
	all, err := tenant.All(ctx, tenantdb.New(s.ctl, s.names))
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range all {
		if t.Table == "" || t.Table == s.names.App() || t.Status == tenant.StatusDeleted {
			continue
		}
		path := s.stacks.TemplatePath(t.ID)
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(s.Functions.Log(), "lambda | stack IssueTracker-Tenant-%s: no template in %s yet; its onboarding deploys it\n", t.ID, filepath.Dir(path))
			continue
		}
		res, err := s.stacks.Deployer.Apply(ctx, path)
		if err != nil {
			errs = append(errs, fmt.Errorf("stack IssueTracker-Tenant-%s: %w", t.ID, err))
			continue
		}
		if err := s.runTenantStack(ctx, t.ID, path, res); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// binaries are the built functions of fns: the platform's build where it
// built the package, else a build now.
func (s *Stack) binaries(fns []localdeploy.Function) (map[string]string, error) {
	out := map[string]string{}
	var missing []string
	for _, f := range fns {
		if b, ok := s.bins["./"+f.Source]; ok {
			out["./"+f.Source] = b
		} else if !slices.Contains(missing, "./"+f.Source) {
			missing = append(missing, "./"+f.Source)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	built, err := buildOnce(s.tcfg.Root, missing)
	if err != nil {
		return nil, fmt.Errorf("build %v: %w", missing, err)
	}
	for k, v := range built {
		out[k] = v
	}
	return out, nil
}

// addConsumers and removeConsumers keep Consumers (DrainChanges) as tenant
// stacks come and go.
func (s *Stack) addConsumers(ps []*streampoller.Poller) {
	s.consumersMu.Lock()
	defer s.consumersMu.Unlock()
	s.Consumers = append(slices.Clip(s.Consumers), ps...)
}

func (s *Stack) removeConsumers(ps []*streampoller.Poller) {
	s.consumersMu.Lock()
	defer s.consumersMu.Unlock()
	s.Consumers = slices.DeleteFunc(slices.Clone(s.Consumers), func(p *streampoller.Poller) bool { return slices.Contains(ps, p) })
}

func (s *Stack) consumers() []*streampoller.Poller {
	s.consumersMu.Lock()
	defer s.consumersMu.Unlock()
	return s.Consumers
}

// failureQueues are the on-failure destinations of a template's stream
// mappings as local queues: each an SQS queue (or SNS topic) of the
// template, kept in the control table (localcloud.StoredQueue) and read
// through the local SQS (SQSPath) by the queue's name, prefix + its
// QueueName or logical id (a tenant stack's are prefixed by the tenant:
// every tenant stack declares the same logical ids).
type failureQueues struct {
	s      *Stack
	tmpl   *localdeploy.Template
	prefix string
}

func (s *Stack) failureQueues(tmpl *localdeploy.Template, prefix string) failureQueues {
	return failureQueues{s: s, tmpl: tmpl, prefix: prefix}
}

// name is the local queue of m's failures ("" when the template sets none).
func (f failureQueues) name(m localdeploy.StreamMapping) string {
	if m.OnFailure == "" {
		return ""
	}
	if n, ok := f.tmpl.Resources[m.OnFailure].Properties["QueueName"].(string); ok && n != "" {
		return f.prefix + n
	}
	return f.prefix + m.OnFailure
}

// destination is m's on-failure destination (nil when none).
func (f failureQueues) destination(m localdeploy.StreamMapping) streampoller.Destination {
	name := f.name(m)
	if name == "" {
		return nil
	}
	q := f.s.storedQueue(name, true)
	return streampoller.DestinationFunc(func(ctx context.Context, body string) error {
		_, err := q.Send(ctx, body, 0)
		return err
	})
}

// storedQueue is the local queue name (made when create).
func (s *Stack) storedQueue(name string, create bool) *localcloud.StoredQueue {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	q := s.stored[name]
	if q == nil && create {
		if s.stored == nil {
			s.stored = map[string]*localcloud.StoredQueue{}
		}
		q = &localcloud.StoredQueue{DB: s.ctl, Table: s.names.Control(), Name: name}
		s.stored[name] = q
	}
	return q
}

// FailureQueue is the local on-failure queue of a stream mapping by its
// local name (the start-up log's "failures -> local queue <name>"), nil
// when no mapping sends there.
func (s *Stack) FailureQueue(name string) *localcloud.StoredQueue { return s.storedQueue(name, false) }

// RedrivePath is where the gateway's address redrives an on-failure queue:
// POST RedrivePath/<queue>.
const RedrivePath = "/_local/redrive"

// registerRedrive notes which poller each on-failure queue of maps (in
// the order of pollers) belongs to, so its messages can be redriven.
func (s *Stack) registerRedrive(maps []localdeploy.StreamMapping, pollers []*streampoller.Poller, failures failureQueues) {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	if s.redrivers == nil {
		s.redrivers = map[string]*streampoller.Poller{}
	}
	for i, m := range maps {
		if name := failures.name(m); name != "" {
			s.redrivers[name] = pollers[i]
		}
	}
}

// Redrive reads every message of the on-failure queue name and hands the
// batch each names to its mapping's function again (streampoller.Redrive,
// from the stream); a message is deleted when the function succeeds, and
// stays (visible again after a minute) when it fails again.
func (s *Stack) Redrive(ctx context.Context, name string) (redriven int, failed []string, err error) {
	s.queueMu.Lock()
	q, p := s.stored[name], s.redrivers[name]
	s.queueMu.Unlock()
	if q == nil || p == nil {
		return 0, nil, fmt.Errorf("no stream mapping sends its failures to a local queue %s", name)
	}
	for {
		msgs, err := q.Receive(ctx, 10, time.Minute)
		if err != nil || len(msgs) == 0 {
			return redriven, failed, err
		}
		for _, m := range msgs {
			var rec streampoller.FailureRecord
			if err := json.Unmarshal([]byte(m.Body), &rec); err != nil {
				failed = append(failed, fmt.Sprintf("message %s: %v", m.ID, err))
				continue
			}
			if _, err := p.Redrive(ctx, rec); err != nil {
				failed = append(failed, fmt.Sprintf("message %s (%s..%s): %v", m.ID, rec.Batch.StartSequenceNumber, rec.Batch.EndSequenceNumber, err))
				continue
			}
			if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
				return redriven, failed, err
			}
			redriven++
		}
	}
}

// redriveHandler serves POST RedrivePath/<queue>: {"redriven": n, "failed": [...]}.
func (s *Stack) redriveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST "+RedrivePath+"/<queue>", http.StatusMethodNotAllowed)
			return
		}
		n, failed, err := s.Redrive(r.Context(), strings.TrimPrefix(r.URL.Path, RedrivePath+"/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"redriven": n, "failed": append([]string{}, failed...)})
	})
}
