package analytics

import (
	"fmt"
	"sort"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// DayLayout is how days are written: calendar dates in the tenant's zone.
const DayLayout = "2006-01-02"

// ZoneChange is one entry of a tenant's time-zone history: from Since on,
// days are counted in Zone.
type ZoneChange struct {
	Since time.Time `json:"since"`
	Zone  string    `json:"time_zone"`
}

// Settings are a tenant's analytics settings. Zones is append-only: an event
// is counted on its date in the zone in force at its instant, so a change
// of zone never moves what was counted before it, and a rebuild from the
// items (backfill) gives the same rollups as the stream did.
type Settings struct {
	Zones   []ZoneChange `json:"zones"`
	Version int64        `json:"version"`
}

// DefaultZone is the zone of a tenant that never chose one.
const DefaultZone = "UTC"

// ZoneDelay is how far ahead a zone change takes effect. The consumer caches
// settings for less (SettingsTTL), so every event at or after the change is
// counted with a copy of the settings that holds it.
const (
	ZoneDelay   = time.Minute
	SettingsTTL = 20 * time.Second
	MaxZones    = 100
)

// Current is the zone in force at t.
func (s Settings) ZoneAt(t time.Time) string {
	z := DefaultZone
	for _, c := range s.Zones {
		if !t.Before(c.Since) {
			z = c.Zone
		}
	}
	return z
}

// LoadZone validates an IANA zone name.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, errs.Field("time_zone", "must be an IANA time zone such as Europe/Paris or UTC")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.Field("time_zone", fmt.Sprintf("%q is not an IANA time zone", name))
	}
	return loc, nil
}

// WithZone returns the settings with zone in force from now+ZoneDelay.
func (s Settings) WithZone(zone string, now time.Time) (Settings, error) {
	if _, err := LoadZone(zone); err != nil {
		return s, err
	}
	if s.ZoneAt(now.Add(ZoneDelay)) == zone && (len(s.Zones) == 0 || s.Zones[len(s.Zones)-1].Zone == zone) {
		return s, nil
	}
	if len(s.Zones) >= MaxZones {
		return s, errs.E(errs.KindConflict, "too_many_zone_changes", "the time zone was changed %d times already", MaxZones)
	}
	out := s
	out.Zones = append(append([]ZoneChange(nil), s.Zones...), ZoneChange{Since: now.Add(ZoneDelay).UTC().Truncate(time.Second), Zone: zone})
	sort.SliceStable(out.Zones, func(i, j int) bool { return out.Zones[i].Since.Before(out.Zones[j].Since) })
	return out, nil
}

// dayer maps instants to days under a zone history, caching locations.
type dayer struct {
	s    Settings
	locs map[string]*time.Location
}

func newDayer(s Settings) *dayer { return &dayer{s: s, locs: map[string]*time.Location{}} }

func (d *dayer) day(t time.Time) string {
	name := d.s.ZoneAt(t)
	loc, ok := d.locs[name]
	if !ok {
		var err error
		if loc, err = time.LoadLocation(name); err != nil {
			loc = time.UTC // validated when set; a zone the runtime lacks counts in UTC
		}
		d.locs[name] = loc
	}
	return t.In(loc).Format(DayLayout)
}
