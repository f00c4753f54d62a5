package awsjson_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

// fakeSecretsManager answers GetSecretValue from secrets (a nil value is a
// binary secret) after checking the SigV4 signature as Secrets Manager
// would: the request re-signed with the same credentials, region, service
// and time carries the same Authorization (a wrong service, region,
// payload hash or signed header answers 400 like AWS).
func fakeSecretsManager(t *testing.T, secrets map[string]*string) (awsjson.SecretsManager, *[]string) {
	var got []string
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, bytes.NewReader(b))
		for _, h := range []string{"Content-Type", "X-Amz-Target"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		sum := sha256.Sum256(b)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err != nil || r.Header.Get("X-Amz-Security-Token") != "token" ||
			v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "secretsmanager", "eu-west-1", at) != nil ||
			again.Header.Get("Authorization") != r.Header.Get("Authorization") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"}`)
			return
		}
		var in struct{ SecretId string }
		_ = json.Unmarshal(b, &in)
		got = append(got, r.Header.Get("X-Amz-Target")+" "+in.SecretId)
		v, ok := secrets[in.SecretId]
		switch {
		case !ok:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`)
		case v == nil:
			fmt.Fprintf(w, `{"ARN":%q,"Name":%q,"SecretBinary":"AAEC","VersionId":"v1"}`, in.SecretId, in.SecretId)
		default:
			fmt.Fprintf(w, `{"ARN":%q,"Name":%q,"SecretString":%q,"VersionId":"v1"}`, in.SecretId, in.SecretId, *v)
		}
	}))
	t.Cleanup(srv.Close)
	return awsjson.SecretsManager{Config: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}}, &got
}

func TestGetSecretString(t *testing.T) {
	ctx := context.Background()
	const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:CursorKey-AbCdEf"
	secrets := map[string]*string{arn: aws.String("k3y-of-at-least-thirty-two-bytes-long"), "binary": nil}

	t.Run("the secret's string is one signed GetSecretValue", func(t *testing.T) {
		sm, got := fakeSecretsManager(t, secrets)
		v, err := sm.GetSecretString(ctx, arn)
		require.NoError(t, err)
		assert.Equal(t, "k3y-of-at-least-thirty-two-bytes-long", v)
		assert.Equal(t, []string{"secretsmanager.GetSecretValue " + arn}, *got)
	})
	t.Run("an unknown secret is an error with the service's code and message", func(t *testing.T) {
		sm, _ := fakeSecretsManager(t, secrets)
		_, err := sm.GetSecretString(ctx, "nope")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "GetSecretValue nope: ResourceNotFoundException: Secrets Manager can't find the specified secret. (HTTP 400)")
	})
	t.Run("a wrong signature is refused", func(t *testing.T) {
		sm, got := fakeSecretsManager(t, secrets)
		sm.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wrong", "token")
		_, err := sm.GetSecretString(ctx, arn)
		require.ErrorContains(t, err, "InvalidSignatureException: The request signature we calculated does not match (HTTP 400)")
		assert.Empty(t, *got)
	})
	t.Run("a binary secret is not a string", func(t *testing.T) {
		sm, _ := fakeSecretsManager(t, secrets)
		_, err := sm.GetSecretString(ctx, "binary")
		require.ErrorContains(t, err, "not a string secret")
	})
	t.Run("without a base endpoint the request goes to the region's endpoint", func(t *testing.T) {
		var url string
		sm := awsjson.SecretsManager{Config: aws.Config{Region: "cn-north-1",
			Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
			HTTPClient: clientFunc(func(r *http.Request) (*http.Response, error) {
				url = r.URL.String()
				return nil, errors.New("offline")
			})}}
		_, err := sm.GetSecretString(ctx, arn)
		require.ErrorContains(t, err, "offline")
		assert.Equal(t, "https://secretsmanager.cn-north-1.amazonaws.com.cn/", url)
	})
	t.Run("without credentials nothing is sent", func(t *testing.T) {
		sm := awsjson.SecretsManager{Config: aws.Config{Region: "eu-west-1",
			HTTPClient: clientFunc(func(*http.Request) (*http.Response, error) {
				t.Error("a request was sent")
				return nil, errors.New("sent")
			})}}
		_, err := sm.GetSecretString(ctx, arn)
		require.ErrorContains(t, err, "no credentials")
	})
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
