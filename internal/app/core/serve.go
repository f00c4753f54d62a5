package core

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Setup adds to a cold start's Deps what one function needs beyond the
// shared base (a mail sender, the lifecycle, an S3 client...). Steps run
// in order, once per cold start; one that fails stops the cold start.
type Setup func(ctx context.Context, e Env, d *Deps) error

// Wiring is how one route function is built: the route table's function,
// the Setup steps of its own clients, and the operations its routes use
// (Operations(d) must hold every route of routes.ForFunction(Fn):
// internal/app's wiring test checks it, and Function refuses to start
// without). A function's main serves its Wiring and imports only its
// wiring package, so the binary links only what its routes need.
type Wiring struct {
	Fn         routes.Function
	Setup      []Setup
	Operations func(Deps) httpapi.Operations
}

// Handler is w's handler on d.
func (w Wiring) Handler(d Deps) (http.Handler, error) { return Function(w.Fn, w.Operations(d), d) }

// Boot runs w's cold start in Lambda: JSON logging, the environment
// contract, the base Deps and w's Setup, the usage meter (running). A
// failure stops the process with the function's name and the cause. It
// returns the Deps and the function's HTTP handler.
func Boot(w Wiring) (Deps, http.Handler) {
	UseLambdaLogging(w.Fn, os.Stdout) // the environment check's error as a JSON line too
	MustHaveEnvironment(w.Fn)
	d, e := Init(w.Fn, w.Setup...)
	if d.Cursors.Keys == nil && !e.Endpoints.Local() {
		log.Fatalf("%s: no list cursor key: set %s (or %s)", w.Fn, EnvCursorKeySecret, EnvCursorKey)
	}
	// Usage is aggregated here and flushed in the background: once a
	// minute while the environment runs, and on SIGTERM (Serve's
	// WithEnableSIGTERM registers the extension that makes Lambda send it
	// before shutdown).
	d.Meter = meter(d)
	go d.Meter.Run(context.Background(), usage.DefaultFlushInterval)
	h, err := w.Handler(d)
	if err != nil {
		log.Fatalf("%s: %v", w.Fn, err)
	}
	return d, h
}

// Init is the cold start of any function (route functions use Boot): JSON
// logging named fn, the base Deps and the Setup steps. A failure stops
// the process with the function's name and the cause.
func Init(fn routes.Function, setup ...Setup) (Deps, Env) {
	UseLambdaLogging(fn, os.Stdout)
	ctx := context.Background()
	d, e, err := BaseFromEnv(ctx)
	if err != nil {
		log.Fatalf("%s: %v", fn, err)
	}
	for _, s := range setup {
		if err := s(ctx, e, &d); err != nil {
			log.Fatalf("%s: %v", fn, err)
		}
	}
	return d, e
}

// Serve runs w as this process's Lambda function behind API Gateway's
// REST proxy: clients are built once per cold start (Boot), then every
// invocation goes through the route table.
func Serve(w Wiring) {
	d, h := Boot(w)
	lambdahttp.Start(h, d.CORSOrigins, FlushOnSIGTERM(d))
}

// FlushOnSIGTERM flushes d's meter when Lambda shuts the environment down.
func FlushOnSIGTERM(d Deps) lambda.Option {
	return lambda.WithEnableSIGTERM(func() {
		d.Meter.FlushWithin(context.Background(), 400*time.Millisecond)
	})
}

// LoadAWS is the SDK configuration and endpoints of a function that is
// not a route function (the stream consumers, the authorizer...).
func LoadAWS() (Env, error) {
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.LoadFunction(e)
	return Env{AWS: cfg, Endpoints: e}, err
}
