package usagedb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable time shared by the meters of a test.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time                { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)               { c.ns.Store(t.UnixNano()) }
func newClock(t time.Time) *clock              { c := &clock{}; c.Set(t); return c }
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// Three processes (meters) count calls of two tenants from many goroutines
// and flush while counting: every call is counted once, every user is
// active once per day however many processes saw them, weekly and monthly
// figures count distinct users, and storage deltas add up.
func TestMetersCountEveryCallOnceAndEveryUserOncePerDayUnderConcurrency(t *testing.T) {
	db, names := testenv.Tables(t)
	store := usagedb.New(db, names)
	ctx := context.Background()
	clk := newClock(day(2026, time.May, 4)) // a Monday
	meters := []*usage.Meter{{Store: store, Now: clk.Now}, {Store: store, Now: clk.Now}, {Store: store, Now: clk.Now}}

	run := func(users []string, callsPerWorker int) {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for _, m := range meters { // flushes race with the counting
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
						assert.NoError(t, m.Flush(ctx))
					}
				}
			}()
		}
		var workers sync.WaitGroup
		for w := range 12 {
			workers.Add(1)
			go func() {
				defer workers.Done()
				m := meters[w%len(meters)]
				for i := range callsPerWorker {
					m.Call("acme", tiers.Premium, users[(w+i)%len(users)])
					if i%10 == 0 {
						m.Call("globex", tiers.Basic, "gus")
						m.ItemBytes("acme", 100)
					}
					if i%25 == 0 {
						m.ItemBytes("acme", -30)
					}
				}
			}()
		}
		workers.Wait()
		close(stop)
		wg.Wait()
		for _, m := range meters {
			require.NoError(t, m.Flush(ctx))
			assert.False(t, m.Pending())
		}
	}

	run([]string{"ann", "bob", "cid", "dan", "eve"}, 200) // Monday: 5 users
	snap, err := store.Snapshot(ctx, "acme", "2026-05", "2026-W19")
	require.NoError(t, err)
	assert.Equal(t, int64(12*200), snap.Month.Calls, "every call once")
	assert.Equal(t, int64(12*200), snap.Month.DailyCalls[3], "on the 4th")
	assert.Equal(t, int64(5), snap.Month.DailyActive[3], "5 users active, each once although 3 processes saw them")
	assert.Equal(t, int64(5), snap.Weekly)
	assert.Equal(t, int64(5), snap.Month.MonthlyActive)
	assert.Equal(t, tiers.Premium, snap.Month.Tier)
	assert.Equal(t, int64(12*(20*100-8*30)), snap.Storage.ItemBytes, "storage deltas add up")
	gl, err := store.Snapshot(ctx, "globex", "2026-05", "2026-W19")
	require.NoError(t, err)
	assert.Equal(t, int64(12*20), gl.Month.Calls)
	assert.Equal(t, int64(1), gl.Month.DailyActive[3])

	// Tuesday, same week and month: 2 returning users and 1 new one.
	clk.Set(day(2026, time.May, 5))
	run([]string{"ann", "bob", "fay"}, 30)
	snap, err = store.Snapshot(ctx, "acme", "2026-05", "2026-W19")
	require.NoError(t, err)
	assert.Equal(t, int64(3), snap.Month.DailyActive[4], "3 active on the 5th")
	assert.Equal(t, int64(6), snap.Weekly, "the week has 6 distinct users")
	assert.Equal(t, int64(6), snap.Month.MonthlyActive)
	assert.Equal(t, int64(12*200+12*30), snap.Month.Calls)

	// Next Monday: a new week, same month.
	clk.Set(day(2026, time.May, 11))
	run([]string{"ann"}, 10)
	snap, err = store.Snapshot(ctx, "acme", "2026-05", "2026-W20")
	require.NoError(t, err)
	assert.Equal(t, int64(1), snap.Weekly, "ann starts week 20")
	assert.Equal(t, int64(6), snap.Month.MonthlyActive, "ann was counted in May already")

	// June: a new month counts ann again.
	clk.Set(day(2026, time.June, 1))
	run([]string{"ann"}, 10)
	june, err := store.Snapshot(ctx, "acme", "2026-06", usage.WeekKey(clk.Now()))
	require.NoError(t, err)
	assert.Equal(t, int64(1), june.Month.MonthlyActive)
	assert.Equal(t, int64(120), june.Month.Calls)

	t.Run("Root reads every tenant's month in one query", func(t *testing.T) {
		months, err := store.Months(ctx, "2026-05")
		require.NoError(t, err)
		got := map[string]int64{}
		for _, m := range months {
			got[m.TenantID] = m.Calls
		}
		assert.Equal(t, map[string]int64{"acme": 12*200 + 12*30 + 120, "globex": 12*20 + 12*3 + 12*1}, got)
	})
}

// A failed flush keeps its counts for the next one.
func TestAFailedFlushKeepsItsCounts(t *testing.T) {
	db, names := testenv.Tables(t)
	store := usagedb.New(db, names)
	broken := &usagedb.Store{DB: db, Table: "no-such-table"}
	m := &usage.Meter{Store: broken}
	for range 7 {
		m.Call("acme", tiers.Standard, "ann")
	}
	m.ItemBytes("acme", 500)
	require.Error(t, m.Flush(context.Background()))
	assert.True(t, m.Pending())
	m.Store = store
	require.NoError(t, m.Flush(context.Background()))
	now := time.Now()
	snap, err := store.Snapshot(context.Background(), "acme", usage.MonthKey(now), usage.WeekKey(now))
	require.NoError(t, err)
	assert.Equal(t, int64(7), snap.Month.Calls)
	assert.Equal(t, int64(1), snap.Month.MonthlyActive)
	assert.Equal(t, int64(500), snap.Storage.ItemBytes)
}

// Crossing 80% and then 100% of the monthly quota mails the Super Admins
// once per threshold, whatever the number of flushes and processes.
func TestThresholdMailsGoOutOncePerThresholdAndMonth(t *testing.T) {
	db, names := testenv.Tables(t)
	store := usagedb.New(db, names)
	to := fmt.Sprintf("owner-%s@acme.test", testenv.UniquePrefix(t))
	box := testenv.NewMailbox(t, to)
	notices := usage.Notices{Store: store, Mail: testenv.MailSender(t), WebBaseURL: "http://web.test",
		Recipients: func(context.Context, string) (string, []string, error) { return "Acme Corp", []string{to}, nil }}
	clk := newClock(day(2026, time.March, 10))
	a := &usage.Meter{Store: store, Notifier: notices, Now: clk.Now}
	b := &usage.Meter{Store: store, Notifier: notices, Now: clk.Now}
	quota := tiers.MustGet(tiers.Basic).MonthlyQuota
	ctx := context.Background()
	calls := func(m *usage.Meter, n int64) {
		for range n {
			m.Call("acme", tiers.Basic, "ann")
		}
		require.NoError(t, m.Flush(ctx))
	}
	calls(a, quota*79/100)
	box.None()
	calls(b, quota/100) // 80%
	msg := box.Next("usage warning")
	assert.Contains(t, msg.Text, "80% of this month's API calls of the Basic tier used")
	assert.Contains(t, msg.Text, "http://web.test/w/acme/settings/usage")
	calls(a, 10)
	calls(b, 10)
	box.None()
	calls(a, quota*20/100) // 100%
	msg = box.Next("usage limit reached")
	assert.Contains(t, msg.Text, "limit of this month's API calls is reached")
	calls(b, 5)
	box.None()
}

// A user's first activity of the day is recorded once, and with the day
// before it, even when the write's answer is lost and the SDK retries it
// (testenv.WithLostAnswers: the first attempt commits, its answer does not
// arrive): the retry meets its own write, which is not another writer's.
// Before, the retry's failed condition read as "someone recorded the day
// first": the user's day, week and month went uncounted.
func TestAnActiveUserMarkedThroughALostAnswerIsCountedOnce(t *testing.T) {
	db, names := testenv.Tables(t)
	lossy, lost := testenv.WithLostAnswers(db, "UpdateItem")
	store, direct := usagedb.New(lossy, names), usagedb.New(db, names)
	ctx := context.Background()
	tenant := fmt.Sprint("lost-", time.Now().UnixNano())

	prev, recorded, err := store.MarkActive(ctx, tenant, "ann", day(2026, time.May, 4), "m1")
	require.NoError(t, err)
	assert.True(t, recorded, "the first mark of the day is recorded")
	assert.True(t, prev.IsZero(), "no day before")

	prev, recorded, err = store.MarkActive(ctx, tenant, "ann", day(2026, time.May, 11), "m2")
	require.NoError(t, err)
	assert.True(t, recorded)
	assert.Equal(t, "2026-05-04", prev.Format(time.DateOnly), "the day before, though the old item was gone when the retry answered")
	assert.Equal(t, 2, lost.Dropped, "both marks lost their first answer")

	_, recorded, err = direct.MarkActive(ctx, tenant, "ann", day(2026, time.May, 11), "m3")
	require.NoError(t, err)
	assert.False(t, recorded, "the same day again is not recorded")

	// Through the meter: the user counts once for the day, week and month.
	m := &usage.Meter{Store: store, Now: func() time.Time { return day(2026, time.June, 2) }}
	m.Call(tenant, tiers.Standard, "bob")
	require.NoError(t, m.Flush(ctx))
	snap, err := direct.Snapshot(ctx, tenant, "2026-06", usage.WeekKey(day(2026, time.June, 2)))
	require.NoError(t, err)
	assert.Equal(t, int64(1), snap.Month.MonthlyActive, "bob's first day of June")
}

// A flush whose write landed but lost every answer (the SDK's retries lost
// theirs too: testenv.WithLostCalls) fails, and the meter sends the delta
// again at its next flush: its calls and bytes count once, and the calls
// made meanwhile count too. Lost twice, the delta is sent a third time;
// lost on the month's item, its storage (not reached) is written by the
// retry and the month not again. Before, the failed delta was merged back
// into the pending counts and written again: the calls and bytes of the
// lost flush counted twice (8 calls for 5; 11 when lost twice).
func TestAFlushWhoseAnswersWereLostCountsOnce(t *testing.T) {
	db, names := testenv.Tables(t)
	ctx := context.Background()
	direct := usagedb.New(db, names)
	now := day(2026, time.June, 2)
	for _, lost := range []int{1, 2} {
		t.Run(fmt.Sprintf("lost %d times", lost), func(t *testing.T) {
			lossy, calls := testenv.WithLostCalls(db, lost, "UpdateItem")
			m := &usage.Meter{Store: usagedb.New(lossy, names), Now: func() time.Time { return now }}
			tenant := fmt.Sprint("lostflush-", lost, "-", time.Now().UnixNano())
			for range 3 {
				m.Call(tenant, tiers.Standard, "")
			}
			m.ItemBytes(tenant, 100)
			for i := range lost {
				require.Error(t, m.Flush(ctx), "flush %d lost its answers", i+1)
				assert.True(t, m.Pending(), "the delta waits for the next flush")
			}
			m.Call(tenant, tiers.Standard, "")
			m.Call(tenant, tiers.Standard, "")
			require.NoError(t, m.Flush(ctx))
			assert.False(t, m.Pending())
			assert.GreaterOrEqual(t, calls.Dropped, lost, "answers dropped")

			snap, err := direct.Snapshot(ctx, tenant, "2026-06", usage.WeekKey(now))
			require.NoError(t, err)
			assert.Equal(t, int64(5), snap.Month.Calls, "3 calls in the lost flush, 2 after")
			assert.Equal(t, int64(5), snap.Month.DailyCalls[1])
			assert.Equal(t, int64(100), snap.Storage.ItemBytes, "the lost flush's bytes, once")

			// The next flushes sweep the markers of the written deltas.
			m.Call(tenant, tiers.Standard, "")
			m.ItemBytes(tenant, 1)
			require.NoError(t, m.Flush(ctx))
			m.Call(tenant, tiers.Standard, "")
			m.ItemBytes(tenant, 1)
			require.NoError(t, m.Flush(ctx))
			for _, sk := range []string{"MONTH#2026-06", "STORAGE"} {
				out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(names.Control()),
					Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "USAGE#" + tenant}, "sk": &types.AttributeValueMemberS{Value: sk}}})
				require.NoError(t, err)
				n := 0
				for a := range out.Item {
					if strings.HasPrefix(a, "f_") {
						n++
					}
				}
				assert.Equal(t, 1, n, "%s keeps the marker of its last delta only", sk)
			}
		})
	}
}

// A user's first call of the day whose active mark landed but lost every
// answer (testenv.WithLostCalls: the first UpdateItem of the flush is the
// mark) is counted at the next flush, once: the mark is sent again with
// its id and finds its own write (the item's mark). Before, the retry's
// condition failed (the day was recorded: by itself) and read as another
// process's record: the user was not active that day, week or month.
func TestAnActiveMarkWhoseAnswersWereLostCountsOnce(t *testing.T) {
	db, names := testenv.Tables(t)
	ctx := context.Background()
	now := day(2026, time.June, 2)
	lossy, calls := testenv.WithLostCalls(db, 1, "UpdateItem")
	m := &usage.Meter{Store: usagedb.New(lossy, names), Now: func() time.Time { return now }}
	tenant := fmt.Sprint("lostmark-", time.Now().UnixNano())
	m.Call(tenant, tiers.Standard, "ann")
	require.Error(t, m.Flush(ctx), "the mark lost its answers")
	require.NoError(t, m.Flush(ctx))
	assert.False(t, m.Pending())
	assert.Positive(t, calls.Dropped, "answers dropped")

	snap, err := usagedb.New(db, names).Snapshot(ctx, tenant, "2026-06", usage.WeekKey(now))
	require.NoError(t, err)
	assert.Equal(t, int64(1), snap.Month.DailyActive[1], "ann active on June 2")
	assert.Equal(t, int64(1), snap.Month.MonthlyActive, "ann's first day of June")
	assert.Equal(t, int64(1), snap.Weekly, "ann's first day of the week")
	assert.Equal(t, int64(1), snap.Month.Calls)
}
