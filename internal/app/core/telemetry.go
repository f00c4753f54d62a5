package core

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/telemetry"
)

// MetricsLogEnv names a file that receives the EMF lines outside Lambda
// (make dev, tests); unset, they are dropped: a line per request would
// flood the developer's console and tell nothing a response does not.
const MetricsLogEnv = envvars.MetricsLog

// InLambda reports whether this process is a Lambda function (the runtime
// sets AWS_LAMBDA_FUNCTION_NAME).
func InLambda() bool { return os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" }

// metricsSink is where every function of the process writes its EMF lines:
// stdout in Lambda, where CloudWatch Logs extracts the metrics, a line at a
// time (a line must be out before the invocation ends). The local platform
// serves every function's requests in one process: its lines are buffered
// and written MetricsLogFlush apart at most (one write per request was 4%
// of its CPU under load).
var metricsSink = sync.OnceValue(func() *telemetry.Sink {
	if InLambda() {
		return telemetry.NewSink(os.Stdout)
	}
	if path := os.Getenv(MetricsLogEnv); path != "" {
		if openMetricsLog == nil {
			slog.Warn("metrics log set outside Lambda without the in-process platform; metrics are dropped", "path", path)
		} else if w := MetricsLogFile(path); w != nil {
			return telemetry.NewBufferedSink(w, MetricsLogBuffer, MetricsLogFlush)
		}
	}
	return telemetry.NewSink(nil)
})

// FlushMetrics writes the local metrics log's buffered lines (the local
// platform calls it when it stops); a no-op in Lambda.
func FlushMetrics() error { return metricsSink().Flush() }

// Local metrics logs rotate at MetricsLogMaxMB megabytes (package
// metricslog keeps the newest files): a line per request filled 89 MB
// under load.
const (
	MetricsLogMaxMB  = 16
	MetricsLogBuffer = 64 << 10
	MetricsLogFlush  = time.Second
)

// openMetricsLog opens the local metrics log's rotating file: package
// metricslog registers it, imported by the in-process platform (package
// app) only, so that the functions do not link lumberjack.
var openMetricsLog func(path string, maxMB int) io.Writer

// RegisterMetricsLog is how package metricslog plugs the file in.
func RegisterMetricsLog(open func(path string, maxMB int) io.Writer) { openMetricsLog = open }

// MetricsLogFile is the writer the local metrics log would use for path:
// nil in a process that did not register one (a function).
func MetricsLogFile(path string) io.Writer {
	if openMetricsLog == nil {
		return nil
	}
	return openMetricsLog(path, MetricsLogMaxMB)
}

// instrument wraps a function's handler with the request metrics.
func instrument(fn routes.Function, h http.Handler) http.Handler {
	return instrumentTo(metricsSink(), fn, h)
}

func instrumentTo(s *telemetry.Sink, fn routes.Function, h http.Handler) http.Handler {
	return telemetry.Middleware(h, telemetry.Options{Function: string(fn), Sink: s, Labels: requestLabels})
}

// requestLabels reads the labels from the API Gateway event: the route
// template (not the path, whose ids would multiply log values) and the
// verified caller's tenant and tier. Public routes have no caller.
func requestLabels(r *http.Request) telemetry.Labels {
	l := telemetry.Labels{RequestID: httpapi.RequestID(r)}
	if rc, ok := httpapi.GatewayContext(r.Context()); ok && rc.ResourcePath != "" {
		l.Route = rc.HTTPMethod + " " + rc.ResourcePath
	}
	if p, err := httpapi.CallerPrincipal(r); err == nil {
		l.TenantID, l.Tier = p.TenantID, string(p.Tier)
	}
	return l
}

// UseLambdaLogging makes slog write JSON lines to stdout, each with the
// function and, when logged with a request context, the request's labels.
func UseLambdaLogging(fn routes.Function, w io.Writer) {
	slog.SetDefault(telemetry.NewJSONLogger(w, string(fn)))
}
