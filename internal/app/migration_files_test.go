package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
)

// A tier migration moves the tenant's attachment objects with its items:
// pooled -> Platinum copies them from the pooled bucket (the tenant's
// prefix) to its stack's bucket, where they are downloaded from after the
// switch, and the retirement deletes them from the pooled bucket; back to
// a pooled tier the same the other way, the stack's bucket emptied before
// the stack is destroyed. Before, a tier migration moved no file: the
// objects stayed in the pooled bucket, which the tenant's Platinum home
// does not read, and a downgrade's stack destruction met a bucket that
// still held objects.
func TestATierMigrationMovesTheTenantsFilesBothWays(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	svc := app.Lifecycle(w.Deps)
	// Every write is answered before or after a run: none in flight.
	svc.Migration = onboarding.MigrationOptions{Settle: 50 * time.Millisecond, Grace: time.Millisecond, NoWriteInFlight: true}
	ctx := context.Background()
	owner := w.As("owner@globex.test")
	res := owner.Do("POST", "/v1/issues", map[string]any{"title": "with a file"})
	require.Equal(t, 201, res.Status, string(res.Body))
	var iss struct {
		ID string `json:"id"`
	}
	res.JSON(t, &iss)
	body := []byte("globex's quarterly plans\n")
	fileID := owner.Attach(t, iss.ID, "plans.txt", "text/plain", body)

	pooled, silo := w.Files.Bucket, w.Deps.Names.SiloFiles("globex")
	objects := func(bucket string) map[string]int64 {
		t.Helper()
		out, err := w.Files.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("globex/")})
		var missing *s3types.NoSuchBucket
		if errors.As(err, &missing) {
			return map[string]int64{}
		}
		require.NoError(t, err)
		got := map[string]int64{}
		for _, o := range out.Contents {
			got[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
		return got
	}
	before := objects(pooled)
	require.Len(t, before, 1)
	downloadedFrom := func() string {
		t.Helper()
		res := owner.Do("GET", "/v1/issues/"+iss.ID+"/attachments/"+fileID+"/download", nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		var dl struct {
			URL string `json:"url"`
		}
		res.JSON(t, &dl)
		got, err := http.Get(dl.URL)
		require.NoError(t, err)
		defer got.Body.Close()
		b, _ := io.ReadAll(got.Body)
		assert.Equal(t, 200, got.StatusCode)
		assert.Equal(t, string(body), string(b), "the file reads the same")
		return dl.URL
	}

	for _, step := range []struct{ tier, from, to string }{{"platinum", pooled, silo}, {"basic", silo, pooled}} {
		res := w.Root().Do("POST", "/v1/admin/tenants/globex/migration", map[string]any{"tier": step.tier})
		require.Equal(t, 202, res.Status, string(res.Body))
		st, err := svc.States.Get(ctx, "globex")
		require.NoError(t, err)
		require.Empty(t, st.Error)
		require.False(t, st.FinishedAt.IsZero(), "the run finished, its old home retired: %+v", st)
		assert.Equal(t, 1, st.Migration.FilesCopied, "to %s", step.tier)
		assert.Equal(t, before, objects(step.to), "the objects are in %s", step.to)
		assert.Empty(t, objects(step.from), "none left in %s after the retirement", step.from)
		assert.Contains(t, downloadedFrom(), step.to+"/", "downloaded from %s", step.to)
	}
}
