package localcloud_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// ack is one write DynamoDB Local answered 200.
type ack struct {
	pk string
	at time.Time
}

// TestDynamoDBLocalDurabilityAcrossSIGKILL (issue 15) SIGKILLs DynamoDB
// Local (-sharedDb -dbPath, as make dev and make chaos run it) while
// writers put items with PutItem and with TransactWriteItems, restarts it
// on its data and reads back every write it acknowledged.
//
// DynamoDB Local 1.25 commits a TransactWriteItems asynchronously: its
// SQLiteDBAccess.commitTransaction queues the SQLite COMMIT on its
// database thread and returns without waiting for it (putRecord, a
// PutItem's write, waits for its job), so the answer can go out before the
// COMMIT ran, and a SIGKILL in between loses an acknowledged transaction
// (SQLite rolls the open transaction back on the next start). The test
// asserts what holds (no acknowledged PutItem is lost) and logs what the
// transactions lost, with how long before the kill each was acknowledged
// (docs/performance.md, "What DynamoDB Local guarantees"). It starts
// DynamoDB Local twice per round, a minute or more on a loaded machine, so
// it runs only when asked: ITR_DURABILITY_ROUNDS=n (make chaos-durability).
func TestDynamoDBLocalDurabilityAcrossSIGKILL(t *testing.T) {
	rounds, err := strconv.Atoi(os.Getenv("ITR_DURABILITY_ROUNDS"))
	if err != nil || rounds <= 0 {
		t.Skip("starts DynamoDB Local twice per round: set ITR_DURABILITY_ROUNDS (make chaos-durability)")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, ".local", "dynamodb-local", "DynamoDBLocal.jar")); err != nil {
		t.Skip("DynamoDB Local not installed (make tools)")
	}
	var putAcked, putLost, txAcked, txLost int
	for round := range rounds {
		pa, pl, ta, tl := durabilityRound(t, root, round)
		putAcked, putLost, txAcked, txLost = putAcked+pa, putLost+pl, txAcked+ta, txLost+tl
	}
	t.Logf("%d rounds: PutItem %d acknowledged, %d lost; TransactWriteItems %d acknowledged, %d lost", rounds, putAcked, putLost, txAcked, txLost)
	require.Zero(t, putLost, "an acknowledged PutItem was lost across the SIGKILL")
}

// startOnFreePort starts DynamoDB Local of o on a free port (another one
// should the chosen one be taken meanwhile).
func startOnFreePort(ctx context.Context, o localcloud.Options) (*localcloud.Process, error) {
	p, _, err := localcloud.OnFreePorts(1, func(port int) (*localcloud.Process, error) {
		o.Port = port
		return localcloud.DynamoDBLocal(ctx, o)
	})
	return p, err
}

func durabilityRound(t *testing.T, root string, round int) (putAcked, putLost, txAcked, txLost int) {
	ctx := context.Background()
	log, err := os.Create(filepath.Join(t.TempDir(), "dynamodb-local.log"))
	require.NoError(t, err)
	defer log.Close()
	o := localcloud.Options{Root: root, DataDir: t.TempDir(), Log: log}
	p, err := startOnFreePort(ctx, o)
	require.NoError(t, err)
	defer func() { p.Stop() }()
	e := awsx.Endpoints{DynamoDB: p.Endpoint}
	cfg, err := awsconfig.Load(ctx, e)
	require.NoError(t, err)
	db := awsx.DynamoDB(cfg, e)
	const table = "durability"
	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, table))

	var mu sync.Mutex
	acked := map[string][]ack{} // "PutItem" / "TransactWriteItems" → acknowledged writes
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 8 {
		op := "PutItem"
		if w%2 == 1 {
			op = "TransactWriteItems"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; wctx.Err() == nil; i++ {
				pk := fmt.Sprintf("%s#%d#%d", op, w, i)
				item := map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: &types.AttributeValueMemberS{Value: "ITEM"}}
				cond := aws.String("attribute_not_exists(pk)")
				var err error
				if op == "PutItem" {
					_, err = db.PutItem(wctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item, ConditionExpression: cond})
				} else {
					log := map[string]types.AttributeValue{schema.PK: item[schema.PK], schema.SK: &types.AttributeValueMemberS{Value: "LOG"}}
					_, err = db.TransactWriteItems(wctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
						{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: cond}},
						{Put: &types.Put{TableName: aws.String(table), Item: log}}}})
				}
				if err != nil {
					return // the kill
				}
				mu.Lock()
				acked[op] = append(acked[op], ack{pk: pk, at: time.Now()})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(3 * time.Second)
	p.Kill()
	killed := time.Now()
	stop()
	wg.Wait()
	p, err = startOnFreePort(ctx, o) // its port may have gone to someone else since the kill
	require.NoError(t, err)
	e.DynamoDB = p.Endpoint
	db = awsx.DynamoDB(cfg, e)
	for op, as := range acked {
		for _, a := range as {
			var missing []string
			for _, sk := range []string{"ITEM", "LOG"} {
				if op == "PutItem" && sk == "LOG" {
					continue
				}
				out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
					Key: map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: a.pk}, schema.SK: &types.AttributeValueMemberS{Value: sk}}})
				require.NoError(t, err)
				if out.Item == nil {
					missing = append(missing, sk)
				}
			}
			if len(missing) == 0 {
				continue
			}
			t.Logf("round %d: %s %s acknowledged %s before the SIGKILL: %v missing", round+1, op, a.pk, killed.Sub(a.at).Round(time.Microsecond), missing)
			if op == "PutItem" {
				putLost++
			} else {
				txLost++
				// A transaction is all or nothing, even when lost.
				require.Len(t, missing, 2, "a transaction half applied")
			}
		}
	}
	putAcked, txAcked = len(acked["PutItem"]), len(acked["TransactWriteItems"])
	t.Logf("round %d: PutItem %d acknowledged, %d lost; TransactWriteItems %d acknowledged, %d lost", round+1, putAcked, putLost, txAcked, txLost)
	return putAcked, putLost, txAcked, txLost
}
