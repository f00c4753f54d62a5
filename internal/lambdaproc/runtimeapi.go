package lambdaproc

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The Lambda Runtime API (2018-06-01) and the part of the Extensions API
// (2020-01-01) that aws-lambda-go uses, served to one process: Lambda gives
// each execution environment its own endpoint, and so does this.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
const (
	pathNext      = "/2018-06-01/runtime/invocation/next"
	pathResponse  = "/2018-06-01/runtime/invocation/{id}/response"
	pathError     = "/2018-06-01/runtime/invocation/{id}/error"
	pathInitError = "/2018-06-01/runtime/init/error"
	pathExtReg    = "/2020-01-01/extension/register"
	pathExtNext   = "/2020-01-01/extension/event/next"
	// MaxPayload is Lambda's synchronous invocation payload limit (6 MB),
	// for events and responses alike.
	MaxPayload = 6 << 20
)

// FunctionError is what a function reported (Runtime API /error and
// /init/error bodies), or what the platform made of a crash or a timeout.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

type result struct {
	body []byte
	err  *FunctionError
}

// invocation is one event handed to a process through /next.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan result // buffered(1): the first answer wins
}

func (inv *invocation) answer(r result) {
	select {
	case inv.done <- r:
	default:
	}
}

// handler serves the Runtime API of instance in.
func (in *instance) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, in.next)
	mux.HandleFunc("POST "+pathResponse, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
		inv := in.take(r.PathValue("id"))
		if inv == nil {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		switch {
		case err != nil:
			inv.answer(result{err: &FunctionError{Type: "Runtime.ResponseError", Message: err.Error()}})
		case len(body) > MaxPayload:
			inv.answer(result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: fmt.Sprintf("response payload size exceeded maximum allowed payload size (%d bytes)", MaxPayload)}})
		default:
			inv.answer(result{body: body})
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST "+pathError, func(w http.ResponseWriter, r *http.Request) {
		inv := in.take(r.PathValue("id"))
		if inv == nil {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		inv.answer(result{err: readError(r)})
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST "+pathInitError, func(w http.ResponseWriter, r *http.Request) {
		in.initFailed(readError(r))
		w.WriteHeader(http.StatusAccepted)
	})
	// aws-lambda-go registers an internal extension so that Lambda sends
	// SIGTERM before ending the environment (lambda.WithEnableSIGTERM); its
	// /next blocks until the platform shuts the process down.
	mux.HandleFunc("POST "+pathExtReg, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", uuid.NewString())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"functionName": in.fn.spec.Name, "functionVersion": "$LATEST", "handler": "bootstrap"})
	})
	// It registers for no events, so its /next never answers: it ends with
	// the process.
	mux.HandleFunc("GET "+pathExtNext, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-in.exited:
		case <-r.Context().Done():
		}
	})
	return mux
}

// next hands the process its next event, blocking until there is one.
func (in *instance) next(w http.ResponseWriter, r *http.Request) {
	in.markReady()
	var inv *invocation
	select {
	case inv = <-in.events:
	case <-in.exited: // Lambda ends an environment with its runtime blocked in /next
		return
	case <-r.Context().Done():
		return
	}
	in.mu.Lock()
	in.current = inv
	in.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", in.fn.spec.ARN())
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+inv.id[:8]+";Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

// take returns the current invocation if it has id, once.
func (in *instance) take(id string) *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current == nil || in.current.id != id {
		return nil
	}
	inv := in.current
	in.current = nil
	return inv
}

func readError(r *http.Request) *FunctionError {
	var fe FunctionError
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(b, &fe); err != nil || fe.Type == "" && fe.Message == "" {
		fe = FunctionError{Type: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Message: string(b)}
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return &fe
}
