package activitywire

import (
	"os"
	"testing"
)

// The activity function tells SES's events (from SNS) from its table's
// stream batches by the records' source.
func TestTheActivityFunctionTellsSNSDeliveriesFromStreamBatches(t *testing.T) {
	sns, err := os.ReadFile("../../mail/maildb/testdata/ses-events.sns.json")
	if err != nil {
		t.Fatal(err)
	}
	if ev, ok := snsEvent(sns); !ok || len(ev.Records) != 4 {
		t.Errorf("an SNS delivery is not read as one: %v %d", ok, len(ev.Records))
	}
	stream := `{"Records":[{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"T#acme#ISSUE#1"}},"SequenceNumber":"1","SizeBytes":10,"StreamViewType":"NEW_AND_OLD_IMAGES"}}]}`
	for _, raw := range []string{stream, `{"job":"send-mail"}`, `{}`, `not json`} {
		if _, ok := snsEvent([]byte(raw)); ok {
			t.Errorf("%s is read as an SNS delivery", raw)
		}
	}
}
