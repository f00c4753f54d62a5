package localcloud

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Event is one entry of a PutEvents call, as the local bus receives it.
type Event struct {
	Bus, Source, DetailType, Detail string
	Resources                       []string
	Time                            time.Time
}

// EventPutter takes an entry put on a local bus and answers its event id
// (an error fails that entry: FailedEntryCount, as EventBridge reports it).
type EventPutter func(Event) (id string, err error)

// EventBridge is the local cloud's EventBridge, as far as the function
// processes use it: PutEvents (the AWS JSON 1.1 protocol of aws-sdk-go-v2's
// client). Routing an event to the rules of its bus is put's business.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
func EventBridge(put EventPutter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSEvents.")
		if r.Method != http.MethodPost || op != "PutEvents" {
			eventsError(w, http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the local EventBridge serves PutEvents only, not %q", op))
			return
		}
		var in struct {
			Entries []struct {
				EventBusName, Source, DetailType, Detail string
				Resources                                []string
				Time                                     *float64
			}
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			eventsError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		type result struct {
			EventId, ErrorCode, ErrorMessage string `json:",omitempty"`
		}
		out := struct {
			FailedEntryCount int
			Entries          []result
		}{Entries: []result{}}
		for _, e := range in.Entries {
			ev := Event{Bus: busName(e.EventBusName), Source: e.Source, DetailType: e.DetailType, Detail: e.Detail,
				Resources: e.Resources, Time: time.Now().UTC()}
			if e.Time != nil {
				ev.Time = time.Unix(int64(*e.Time), 0).UTC()
			}
			if ev.Detail == "" {
				ev.Detail = "{}"
			}
			var res result
			var err error
			switch {
			case ev.Source == "" || ev.DetailType == "":
				err = fmt.Errorf("an entry needs a Source and a DetailType")
			case !json.Valid([]byte(ev.Detail)):
				err = fmt.Errorf("the entry's Detail is not JSON")
			default:
				res.EventId, err = put(ev)
			}
			if err != nil {
				res = result{ErrorCode: "InternalFailure", ErrorMessage: err.Error()}
				out.FailedEntryCount++
			}
			out.Entries = append(out.Entries, res)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// busName is a bus's name from its name or ARN ("" is the default bus).
func busName(s string) string {
	if i := strings.LastIndex(s, "event-bus/"); strings.HasPrefix(s, "arn:") && i >= 0 {
		s = s[i+len("event-bus/"):]
	}
	if s == "" {
		return "default"
	}
	return s
}

// NewEventID is an event id of the shape EventBridge gives.
func NewEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func eventsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
