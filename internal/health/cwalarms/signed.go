package cwalarms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

// Signed is DescribeAlarms as one SigV4-signed Smithy RPC v2 CBOR POST
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html) to
// CloudWatch (service "monitoring"), retried as the SDK's standard retryer
// does (connections, throttling, 5xx).
type Signed struct {
	// Config gives the region, the credentials, the HTTP client and an
	// optional BaseEndpoint (tests).
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

var _ API = Signed{}

// Path is DescribeAlarms' path under the endpoint in RPC v2 CBOR.
const Path = "/service/GraniteServiceVersion20100801/operation/DescribeAlarms"

// maxResponse bounds the answer read (a page of 100 alarms).
const maxResponse = 4 << 20

// Error is CloudWatch's error answer.
type Error struct {
	Status        int
	Code, Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status) }

// DescribeAlarms implements API.
func (s Signed) DescribeAlarms(ctx context.Context, prefix, token string) (Page, error) {
	in := cbor.Map{"AlarmNamePrefix": cbor.String(prefix), "MaxRecords": cbor.Uint(100),
		"AlarmTypes": cbor.List{cbor.String("MetricAlarm"), cbor.String("CompositeAlarm")}}
	if token != "" {
		in["NextToken"] = cbor.String(token)
	}
	body := cbor.Encode(in)
	var page Page
	err := awsjson.Retry(ctx, nil, retryable, func() error {
		var err error
		page, err = s.post(ctx, body)
		return err
	})
	return page, err
}

func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Code == "Throttling" || e.Code == "ThrottlingException")
}

func (s Signed) post(ctx context.Context, body []byte) (Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(awsjson.Endpoint(s.Config, "monitoring"), "/")+Path, bytes.NewReader(body))
	if err != nil {
		return Page{}, err
	}
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Accept", "application/cbor")
	sum := sha256.Sum256(body)
	resp, err := awsjson.Do(ctx, s.Config, req, hex.EncodeToString(sum[:]), "monitoring", s.Now)
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Page{}, err
	}
	var out cbor.Map
	if len(data) > 0 {
		v, err := cbor.Decode(data)
		if err != nil {
			return Page{}, fmt.Errorf("decode: %w", err)
		}
		m, ok := v.(cbor.Map)
		if !ok {
			return Page{}, fmt.Errorf("decode: answer is %T, not a map", v)
		}
		out = m
	}
	if resp.StatusCode != http.StatusOK {
		typ := str(out["__type"])
		code := typ[strings.LastIndex(typ, "#")+1:]
		if code == "" {
			code = resp.Status
		}
		msg := str(out["message"])
		if msg == "" {
			msg = str(out["Message"])
		}
		return Page{}, &Error{Status: resp.StatusCode, Code: code, Message: msg}
	}
	page := Page{NextToken: str(out["NextToken"])}
	if page.MetricAlarms, err = alarms(out["MetricAlarms"]); err == nil {
		page.CompositeAlarms, err = alarms(out["CompositeAlarms"])
	}
	return page, err
}

func alarms(v cbor.Value) ([]Alarm, error) {
	list, _ := v.(cbor.List)
	out := make([]Alarm, 0, len(list))
	for _, item := range list {
		m, ok := item.(cbor.Map)
		if !ok {
			return nil, fmt.Errorf("decode: alarm is %T, not a map", item)
		}
		a := Alarm{AlarmName: str(m["AlarmName"]), StateValue: str(m["StateValue"]), StateReason: str(m["StateReason"]), MetricName: str(m["MetricName"])}
		if t, ok := m["StateUpdatedTimestamp"]; ok {
			at, err := cbor.AsTime(t)
			if err != nil {
				return nil, fmt.Errorf("decode %s's StateUpdatedTimestamp: %w", a.AlarmName, err)
			}
			a.StateUpdatedTimestamp = at
		}
		out = append(out, a)
	}
	return out, nil
}

// str is a CBOR text string's value ("" for anything else).
func str(v cbor.Value) string {
	s, _ := v.(cbor.String)
	return string(s)
}
