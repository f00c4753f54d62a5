package localcloud

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SQSSender receives a message sent to a local queue: its body and delay.
type SQSSender func(body string, delay time.Duration) error

// SQS is the local cloud's SQS, as far as the function processes use it:
// SendMessage (the AWS JSON 1.0 protocol of aws-sdk-go-v2's client) on the
// queues named by the last part of their URL. Receiving is the local
// event source mapping's business (it hands messages to the function), so
// no other operation is served: an unknown one is a clear error.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
func SQS(queues map[string]SQSSender) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
		if r.Method != http.MethodPost || op != "SendMessage" {
			sqsError(w, http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the local SQS serves SendMessage only, not %q", op))
			return
		}
		var in struct {
			QueueUrl     string
			MessageBody  string
			DelaySeconds int
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			sqsError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
			return
		}
		name := in.QueueUrl[strings.LastIndex(in.QueueUrl, "/")+1:]
		send, ok := queues[name]
		if !ok {
			sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist: "+in.QueueUrl)
			return
		}
		if err := send(in.MessageBody, time.Duration(in.DelaySeconds)*time.Second); err != nil {
			sqsError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		sum := md5.Sum([]byte(in.MessageBody)) // the SDK checks it
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": hex.EncodeToString(id), "MD5OfMessageBody": hex.EncodeToString(sum[:])})
	})
}

func sqsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", "AWS.SimpleQueueService."+code+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}
