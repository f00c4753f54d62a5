// Command echo is the test function of lambdaproc: it answers its event
// with what the test asks, as a Go Lambda on aws-lambda-go.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Echo  string `json:"echo"`
	Sleep string `json:"sleep"`
	Fail  string `json:"fail"`
	Env   string `json:"env"`
	Exit  bool   `json:"exit"`
}

type answer struct {
	Echo string `json:"echo"`
	Env  string `json:"env,omitempty"`
	PID  int    `json:"pid"`
}

func main() {
	if m := os.Getenv("ECHO_REQUIRED"); m != "" && os.Getenv(m) == "" {
		log.Fatalf("echo: %s is not set", m) // an init failure, as core.MustHaveEnvironment
	}
	lambda.StartWithOptions(func(ctx context.Context, ev event) (answer, error) {
		if ev.Sleep != "" {
			d, _ := time.ParseDuration(ev.Sleep)
			time.Sleep(d)
		}
		if ev.Exit {
			os.Exit(3)
		}
		if ev.Fail != "" {
			return answer{}, errors.New(ev.Fail)
		}
		return answer{Echo: ev.Echo, Env: os.Getenv(ev.Env), PID: os.Getpid()}, nil
	}, lambda.WithEnableSIGTERM(func() {}))
}
