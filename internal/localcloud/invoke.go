package localcloud

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Handler is an in-process Lambda function: a JSON event in, an answer
// (encoded as JSON) out.
type Handler func(ctx context.Context, event json.RawMessage) (any, error)

// InvokeAPI is the Lambda service's Invoke operation (POST
// /2015-03-31/functions/{name}/invocations) on in-process handlers by
// function name, for the in-process local platform and tests (template
// mode runs the functions as processes behind lambdaproc's InvokeAPI). A
// handler's error answers as Lambda answers a function's unhandled error:
// 200 with X-Amz-Function-Error and {"errorMessage": ...}, which
// cognito-local turns into a refused sign-in, as Cognito does.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func InvokeAPI(fns map[string]Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if i := strings.LastIndex(name, ":function:"); i >= 0 {
			name = name[i+len(":function:"):]
		}
		name, _, _ = strings.Cut(name, ":")
		h, ok := fns[name]
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": "Function not found: " + name})
			return
		}
		payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := h(r.Context(), payload)
		if err != nil {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": err.Error(), "errorType": "error"})
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}

// CognitoTriggers configures the Lambda triggers of a cognito-local that
// has not started yet: trigger ("UserMigration", ...) -> function name,
// invoked through the Lambda API at endpoint (InvokeAPI). cognito-local
// reads them from .cognito/config.json under its data directory, for
// every pool it serves (it has no per-pool triggers: a function must tell
// the pools apart by the event's userPoolId, as ours do).
func CognitoTriggers(dataDir, endpoint string, triggers map[string]string) error {
	dir := filepath.Join(dataDir, ".cognito")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(map[string]any{
		"LambdaClient": map[string]any{"endpoint": endpoint, "region": "local",
			"credentials": map[string]string{"accessKeyId": "local", "secretAccessKey": "local"}},
		"TriggerFunctions": triggers,
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}
