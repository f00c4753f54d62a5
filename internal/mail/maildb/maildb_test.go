package maildb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// SES's bounce, complaint and delivery events, as SNS hands them to a
// function (testdata: the shapes of AWS's documented examples), suppress
// the permanently bounced and the complaining addresses, and the platform's
// mail to them stops, while a transient bounce and a delivery change
// nothing. The mail goes through the local SMTP catcher.
func TestBouncedAndComplainingAddressesAreNotMailedAgain(t *testing.T) {
	db, names := testenv.Tables(t)
	list := maildb.Suppressions{DB: db, Table: names.Control()}
	run := fmt.Sprint(time.Now().UnixNano())
	addr := func(who string) string { return who + "-" + run + "@suppress.test" }
	raw, err := os.ReadFile("testdata/ses-events.sns.json")
	require.NoError(t, err)
	// The bounce names the address in capitals: the list ignores case.
	body := strings.NewReplacer("BOUNCED", strings.ToUpper(addr("bounced")), "TRANSIENT", addr("transient"),
		"COMPLAINED", addr("complained"), "OK", addr("ok"), "RECIPIENTS", addr("ok")).Replace(string(raw))
	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal([]byte(body), &ev))
	require.Len(t, ev.Records, 4)

	ctx := context.Background()
	got, err := mail.SuppressFromSNS(ctx, list, ev, time.Now())
	require.NoError(t, err)
	assert.Equal(t, []string{addr("bounced"), addr("complained")}, got)
	// SNS delivers at least once: the same events again change nothing.
	_, err = mail.SuppressFromSNS(ctx, list, ev, time.Now())
	require.NoError(t, err)

	sender := mail.Suppressing{Sender: testenv.MailSender(t), List: list}
	boxes := map[string]*testenv.Mailbox{}
	for _, who := range []string{"bounced", "complained", "transient", "ok"} {
		boxes[who] = testenv.NewMailbox(t, addr(who))
		require.NoError(t, sender.Send(ctx, mail.Message{To: addr(who), Subject: "Suppression check " + run, Text: "hello"}))
	}
	boxes["transient"].Next("Suppression check " + run)
	boxes["ok"].Next("Suppression check " + run)
	boxes["bounced"].None()
	boxes["complained"].None()
	// Another spelling of a suppressed address is the same mailbox.
	require.NoError(t, sender.Send(ctx, mail.Message{To: strings.ToUpper(addr("complained")), Subject: "Again " + run, Text: "hello"}))
	boxes["complained"].None()
}

func TestAMalformedSESEventIsAnErrorAndSuppressesNothing(t *testing.T) {
	db, names := testenv.Tables(t)
	list := maildb.Suppressions{DB: db, Table: names.Control()}
	_, err := mail.SuppressFromSES(context.Background(), list, []byte(`{"eventType":"Bounce","bounce":`), time.Now())
	require.Error(t, err)
	ok, err := list.Suppressed(context.Background(), "nobody@suppress.test")
	require.NoError(t, err)
	assert.False(t, ok)
}

// Lifting a suppression whose answer is lost (the delete committed, the SDK
// retries it) is a lift, not a 404: the retry finds its own delete, and the
// answer still says what the address was suppressed for.
func TestALiftWhoseAnswerWasLostIsALift(t *testing.T) {
	db, names := testenv.Tables(t)
	lossy, lost := testenv.WithLostAnswers(db, "DeleteItem")
	ctx := context.Background()
	addr := fmt.Sprint("lift-", time.Now().UnixNano(), "@suppress.test")
	direct := maildb.Suppressions{DB: db, Table: names.Control()}
	require.NoError(t, direct.Suppress(ctx, mail.Suppression{Address: addr, Reason: "bounce", At: time.Now()}))

	sup, err := maildb.Suppressions{DB: lossy, Table: names.Control()}.Lift(ctx, addr)
	require.NoError(t, err, "the lift happened")
	assert.Equal(t, addr, sup.Address)
	assert.Equal(t, "bounce", sup.Reason, "what it was suppressed for: the entry read before the delete (owntoken.OldItem)")
	assert.Equal(t, 1, lost.Dropped)
	still, err := direct.Suppressed(ctx, addr)
	require.NoError(t, err)
	assert.False(t, still)
	// Lifting it again is a real not-found.
	_, err = direct.Lift(ctx, addr)
	assert.Error(t, err)
}
