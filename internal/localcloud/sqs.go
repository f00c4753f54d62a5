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
func SQS(queues map[string]SQSSender) http.Handler { return SQSWith(queues, nil) }

// SQSWith is SQS with stored queues besides: queues nothing consumes
// locally (a stream mapping's on-failure queue), whose messages wait to be
// read with ReceiveMessage, DeleteMessage and GetQueueAttributes, as an
// operator reads a dead-letter queue.
func SQSWith(queues map[string]SQSSender, stored func(name string) *StoredQueue) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
		if r.Method != http.MethodPost {
			sqsError(w, http.StatusBadRequest, "UnsupportedOperation", "POST the AWS JSON 1.0 protocol")
			return
		}
		var in struct {
			QueueUrl            string
			MessageBody         string
			DelaySeconds        int
			MaxNumberOfMessages int
			VisibilityTimeout   *int
			ReceiptHandle       string
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			sqsError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
			return
		}
		name := in.QueueUrl[strings.LastIndex(in.QueueUrl, "/")+1:]
		if q := storedQueue(stored, name); q != nil {
			storedOp(w, r, q, op, in.MessageBody, in.DelaySeconds, in.MaxNumberOfMessages, in.VisibilityTimeout, in.ReceiptHandle)
			return
		}
		if op != "SendMessage" {
			sqsError(w, http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the local SQS serves SendMessage only on %s, not %q", name, op))
			return
		}
		send, ok := queues[name]
		if !ok {
			sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist: "+in.QueueUrl)
			return
		}
		if err := send(in.MessageBody, time.Duration(in.DelaySeconds)*time.Second); err != nil {
			sqsError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		sqsJSON(w, map[string]string{"MessageId": hex.EncodeToString(id), "MD5OfMessageBody": md5Hex(in.MessageBody)})
	})
}

func storedQueue(stored func(string) *StoredQueue, name string) *StoredQueue {
	if stored == nil {
		return nil
	}
	return stored(name)
}

// storedOp serves one operation on a stored queue.
func storedOp(w http.ResponseWriter, r *http.Request, q *StoredQueue, op, body string, delay, maxN int, visibility *int, receipt string) {
	ctx := r.Context()
	switch op {
	case "SendMessage":
		id, err := q.Send(ctx, body, time.Duration(delay)*time.Second)
		if err != nil {
			sqsError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		sqsJSON(w, map[string]string{"MessageId": id, "MD5OfMessageBody": md5Hex(body)})
	case "ReceiveMessage":
		vis := DefaultVisibilityTimeout
		if visibility != nil {
			vis = time.Duration(*visibility) * time.Second
		}
		msgs, err := q.Receive(ctx, max(1, min(maxN, 10)), vis)
		if err != nil {
			sqsError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		type message struct {
			MessageId, ReceiptHandle, MD5OfBody, Body string
			Attributes                                map[string]string
		}
		out := struct{ Messages []message }{Messages: []message{}}
		for _, m := range msgs {
			out.Messages = append(out.Messages, message{MessageId: m.ID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: md5Hex(m.Body), Body: m.Body,
				Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(m.ReceiveCount), "SentTimestamp": fmt.Sprint(m.SentAt.UnixMilli())}})
		}
		sqsJSON(w, out)
	case "DeleteMessage":
		if err := q.Delete(ctx, receipt); err != nil {
			sqsError(w, http.StatusBadRequest, "ReceiptHandleIsInvalid", err.Error())
			return
		}
		sqsJSON(w, map[string]string{})
	case "GetQueueAttributes":
		visible, inFlight, err := q.Count(ctx)
		if err != nil {
			sqsError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		sqsJSON(w, map[string]map[string]string{"Attributes": {"ApproximateNumberOfMessages": fmt.Sprint(visible),
			"ApproximateNumberOfMessagesNotVisible": fmt.Sprint(inFlight)}})
	default:
		sqsError(w, http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the local SQS serves SendMessage, ReceiveMessage, DeleteMessage and GetQueueAttributes, not %q", op))
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s)) // the SDK checks it
	return hex.EncodeToString(sum[:])
}

func sqsJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

func sqsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", "AWS.SimpleQueueService."+code+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}
