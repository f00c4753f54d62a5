package devstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

// A pool's Lambda triggers are its template's (LambdaConfig), in the
// template mode. cognito-local has one trigger configuration for every pool
// it serves; the platform gives it one function name per trigger type
// (TriggerFunction), and the local Invoke API hands each event to the
// function the event's pool (userPoolId) declares for that trigger, or
// answers as Cognito behaves when the pool has none. A Platinum tenant's
// pool thus calls its own stack's trigger (usermigration@<tenant>), the
// platform's tenant pool the platform's.

// CognitoTriggerTypes are the triggers cognito-local calls (its
// TriggerFunctions; CustomEmailSender, which replaces its mail delivery with
// a KMS-encrypted code, is left out: no template declares it).
var CognitoTriggerTypes = []string{"CustomMessage", "PostAuthentication", "PostConfirmation", "PreSignUp", "PreTokenGeneration", "UserMigration"}

// triggerTypes are the LambdaConfig keys naming a function (every trigger
// Cognito has): each is checked at deploy; cognito-local calls
// CognitoTriggerTypes only.
var triggerTypes = []string{"CreateAuthChallenge", "CustomMessage", "DefineAuthChallenge", "PostAuthentication", "PostConfirmation",
	"PreAuthentication", "PreSignUp", "PreTokenGeneration", "UserMigration", "VerifyAuthChallengeResponse"}

// triggerFunctionPrefix names the functions cognito-local is configured
// with ("cognito-trigger-UserMigration"): no template function has it.
const triggerFunctionPrefix = "cognito-trigger-"

// TriggerFunction is the function name cognito-local invokes for trigger
// typ (the local Invoke API routes it by the event's pool).
func TriggerFunction(typ string) string { return triggerFunctionPrefix + typ }

// cognitoTriggerConfig is cognito-local's trigger configuration in the
// template mode: every trigger type it calls, through the router.
func cognitoTriggerConfig() map[string]string {
	out := map[string]string{}
	for _, t := range CognitoTriggerTypes {
		out[t] = TriggerFunction(t)
	}
	return out
}

// poolTriggers are the deployed pools' triggers: pool id -> trigger type ->
// the local function's name.
type poolTriggers struct {
	mu    sync.RWMutex
	pools map[string]map[string]string
}

func (p *poolTriggers) set(pools map[string]map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools == nil {
		p.pools = map[string]map[string]string{}
	}
	for id, t := range pools {
		p.pools[id] = t
	}
}

func (p *poolTriggers) remove(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		delete(p.pools, id)
	}
}

func (p *poolTriggers) function(pool, typ string) string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.pools[pool][typ]
}

// invokeAPI is fns's Lambda Invoke API with cognito-local's trigger
// functions routed by pool.
func (p *poolTriggers) invokeAPI(fns *lambdaproc.Platform) http.Handler {
	next := fns.InvokeAPI()
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		typ, ok := strings.CutPrefix(r.PathValue("name"), triggerFunctionPrefix)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, lambdaproc.MaxPayload+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ev struct {
			UserPoolID string `json:"userPoolId"`
		}
		_ = json.Unmarshal(body, &ev)
		fn := p.function(ev.UserPoolID, typ)
		if fn == "" {
			noTrigger(w, typ, ev.UserPoolID, body)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/2015-03-31/functions/" + fn + "/invocations"
		r2.SetPathValue("name", fn)
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r2)
	})
	return mux
}

// noTrigger answers for a pool without trigger typ as Cognito behaves
// without it: no user migrates (cognito-local refuses the sign-in, as
// Cognito does for an unknown user), and the other triggers change nothing
// (the event back, its response empty, as a function that does nothing).
func noTrigger(w http.ResponseWriter, typ, pool string, event []byte) {
	w.Header().Set("Content-Type", "application/json")
	if typ == "UserMigration" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(map[string]string{"errorType": "NoTrigger",
			"errorMessage": fmt.Sprintf("pool %s has no UserMigration trigger: the user does not exist", pool)})
		return
	}
	_, _ = w.Write(event)
}

// templatePoolTriggers resolves the LambdaConfig of each pool of tmpl
// (applied: phys maps logical ids to pool ids) to local function names. A
// function of tmpl (Fn::GetAtt of its Arn) is local(logicalID); another
// (an ARN, resolved by l) must be one fns runs, by name or alias. A trigger
// naming a function the local cloud does not run fails naming the pool.
func templatePoolTriggers(tmpl *localdeploy.Template, l localdeploy.Locals, phys map[string]string, fns *lambdaproc.Platform,
	rename func(string) string, local func(logicalID string) (string, bool)) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, id := range tmpl.IDs(localdeploy.TypePool) {
		cfg, _ := tmpl.Resources[id].Properties["LambdaConfig"].(map[string]any)
		if len(cfg) == 0 {
			continue
		}
		pool := phys[id]
		if pool == "" {
			return nil, fmt.Errorf("pool %s: not applied", id)
		}
		triggers := map[string]string{}
		for _, typ := range triggerTypes {
			v, ok := cfg[typ]
			if typ == "PreTokenGeneration" && !ok { // the V2 form: {"LambdaArn": ..., "LambdaVersion": ...}
				if c, isMap := cfg["PreTokenGenerationConfig"].(map[string]any); isMap {
					v, ok = c["LambdaArn"]
				}
			}
			if !ok {
				continue
			}
			name, err := triggerFunction(tmpl, l, fns, rename, local, v)
			if err != nil {
				return nil, fmt.Errorf("pool %s (%s): its %s trigger: %w", id, pool, typ, err)
			}
			triggers[typ] = name
		}
		out[pool] = triggers
	}
	return out, nil
}

func triggerFunction(tmpl *localdeploy.Template, l localdeploy.Locals, fns *lambdaproc.Platform, rename func(string) string, local func(string) (string, bool), v any) (string, error) {
	if m, ok := v.(map[string]any); ok {
		if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) == 2 && att[1] == "Arn" {
			if id, _ := att[0].(string); id != "" {
				if name, ok := local(id); ok {
					return name, nil
				}
				if r, ok := tmpl.Resources[id]; !ok || r.Type != localdeploy.TypeFunction {
					return "", fmt.Errorf("%s is no function of the template", id)
				}
				return "", fmt.Errorf("function %s is not a Go function the local cloud runs", id)
			}
		}
	}
	arn, err := l.Resolve(tmpl, v)
	if err != nil {
		return "", err
	}
	i := strings.LastIndex(arn, ":function:")
	if i < 0 {
		return "", fmt.Errorf("%q is no function ARN", arn)
	}
	name, _, _ := strings.Cut(arn[i+len(":function:"):], ":")
	f := fns.Function(rename(name))
	if f == nil {
		return "", fmt.Errorf("function %s does not exist locally (no stack deployed declares it)", rename(name))
	}
	return f.Spec().Name, nil
}

// describeTriggers is the start-up log's line per pool with triggers.
func describeTriggers(pools map[string]map[string]string, poolName func(id string) string) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(pools)) {
		var parts []string
		for _, typ := range triggerTypes {
			if fn, ok := pools[id][typ]; ok {
				called := ""
				if !slices.Contains(CognitoTriggerTypes, typ) {
					called = " (not called by cognito-local)"
				}
				parts = append(parts, typ+" -> "+fn+called)
			}
		}
		fmt.Fprintf(&b, "cognito | pool %s (%s): %s\n", poolName(id), id, strings.Join(parts, ", "))
	}
	return b.String()
}
