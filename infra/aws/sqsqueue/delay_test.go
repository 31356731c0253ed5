package sqsqueue_test

import (
	"testing"
	"time"

	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
)

func TestDelaySeconds(t *testing.T) {
	now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		due  time.Time
		want int32
	}{
		{time.Time{}, 0},
		{now.Add(-time.Hour), 0},
		{now, 0},
		{now.Add(200 * time.Millisecond), 1},
		{now.Add(90 * time.Second), 90},
		{now.Add(90*time.Second + time.Nanosecond), 91},
		{now.Add(sqsqueue.MaxDelay), 900},
		{now.Add(48 * time.Hour), 900},
	} {
		if got := sqsqueue.DelaySeconds(now, c.due); got != c.want {
			t.Errorf("DelaySeconds(due %v) = %d, want %d", c.due.Sub(now), got, c.want)
		}
	}
}
