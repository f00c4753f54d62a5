package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/loadtest"
)

func TestALossIsTheDatabasesOnlyWhenAcknowledgedJustBeforeItsKill(t *testing.T) {
	kill := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	loss := func(before time.Duration) loadtest.Loss {
		return loadtest.Loss{Ack: loadtest.Ack{At: kill.Add(-before), Op: loadtest.OpCreate}}
	}
	kills := []time.Time{kill.Add(-time.Hour), kill}
	d, ok := dbLoss(loss(98*time.Millisecond), kills)
	assert.True(t, ok, "acknowledged 98 ms before the kill: DynamoDB Local's queued COMMIT")
	assert.Equal(t, 98*time.Millisecond, d)
	_, ok = dbLoss(loss(10*time.Second), kills)
	assert.False(t, ok, "acknowledged 10 s before the kill: committed long before, the platform's loss")
	_, ok = dbLoss(loss(-time.Second), kills)
	assert.False(t, ok, "acknowledged after the kill (the database was back): the platform's loss")
	_, ok = dbLoss(loss(time.Hour+time.Second), kills)
	assert.True(t, ok, "within the window of an earlier kill")
}
