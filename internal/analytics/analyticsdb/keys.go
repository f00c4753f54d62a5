// Package analyticsdb stores the analytics domain in the tenant's table (the
// pooled table or a Platinum tenant's own) and turns the table's change
// stream into analytics events (Consumer). Every key it writes starts with
// "T#<tenant>#AN#", so the analytics consumer's role can be limited to
// those items (dynamodb:LeadingKeys "T#*#AN#*") and reports never read an
// issue. Items (docs/analytics.md):
//
//	settings  pk T#t#AN#SETTINGS        sk SETTINGS   zone history
//	state     pk T#t#AN#I#<issue>       sk STATE      one issue's inputs and applied contribution
//	day       pk T#t#AN#D#<scope>       sk <date>     c, r, n, lt<b>, ct<b>, rt<b> counters, w writes;
//	                                                  lh, ch, rh histogram blobs once compacted (compact.go)
//	gauge     pk T#t#AN#G               sk <scope>    o, s counters (open now)
//	closed    pk T#t#AN#CLOSED          sk CLOSED     the tenant's data was deleted (expires_at)
package analyticsdb

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// KeyInfix follows the tenant prefix in every analytics partition key.
const KeyInfix = "AN#"

// LeadingKeysPattern matches the partition keys of analytics items of any
// tenant (IAM StringLike): the consumer role's grant. Tenant ids, scopes
// and issue ids hold no '#', so no other item's key matches.
const LeadingKeysPattern = schema.TenantKeyPrefixStem + "*#" + KeyInfix + "*"

func an(tenant string) string               { return schema.TenantKeyPrefix(tenant) + KeyInfix }
func settingsPK(tenant string) string       { return an(tenant) + "SETTINGS" }
func statePK(tenant, issueID string) string { return an(tenant) + "I#" + issueID }
func dayPK(tenant, scope string) string     { return an(tenant) + "D#" + scope }
func gaugePK(tenant string) string          { return an(tenant) + "G" }
func closedPK(tenant string) string         { return an(tenant) + "CLOSED" }

const (
	skSettings = "SETTINGS"
	skState    = "STATE"
	skClosed   = "CLOSED"
)

type av = types.AttributeValue
