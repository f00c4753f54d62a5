package lambdaproc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// InvokeAPI is the Lambda service's Invoke operation (POST
// /2015-03-31/functions/{name}/invocations) on the platform's functions, so
// that what calls Lambda with an SDK (cognito-local's triggers, a CLI) runs
// the local processes. Names, partial ARNs and full ARNs of a function are
// accepted; invocation types RequestResponse (default), Event (run in the
// background, 202) and DryRun (204).
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func (p *Platform) InvokeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if i := strings.LastIndex(name, ":function:"); i >= 0 {
			name = name[i+len(":function:"):]
		}
		name, _, _ = strings.Cut(name, ":") // a qualifier ($LATEST) is the only version
		f := p.Function(name)
		if f == nil {
			apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+r.PathValue("name"))
			return
		}
		payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
		if err != nil || len(payload) > MaxPayload {
			apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
			return
		}
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		switch r.Header.Get("X-Amz-Invocation-Type") {
		case "DryRun":
			w.WriteHeader(http.StatusNoContent)
			return
		case "Event":
			go func() { _, _ = f.Invoke(context.Background(), payload) }()
			w.WriteHeader(http.StatusAccepted)
			return
		}
		out, err := f.Invoke(r.Context(), payload)
		var fe *FunctionError
		switch {
		case errors.As(err, &fe):
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(fe)
		case err != nil:
			var ie *InitError
			if errors.As(err, &ie) {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(ie.Err)
				return
			}
			apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
		}
	})
	return mux
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}
