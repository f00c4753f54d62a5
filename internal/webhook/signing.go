package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// SecretPrefix starts every signing secret (Standard Webhooks: whsec_
// and the base64 of the key).
const SecretPrefix = "whsec_"

// NewSecret is a fresh signing secret: 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign sets the Standard Webhooks headers of a request carrying body: one
// v1 signature per secret (two during a rotation's overlap), separated by
// spaces, each over "id.timestamp.body". The standard-webhooks library
// computes each signature.
func Sign(h http.Header, msgID string, at time.Time, body []byte, secrets []string) error {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return fmt.Errorf("signing secret: %w", err)
		}
		sig, err := wh.Sign(msgID, at, body)
		if err != nil {
			return err
		}
		sigs = append(sigs, sig)
	}
	h.Set(standardwebhooks.HeaderWebhookID, msgID)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, strings.Join(sigs, " "))
	return nil
}
