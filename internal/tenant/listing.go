package tenant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Order is a sort order of the provider's tenants table.
type Order string

const (
	OrderName    Order = "name"
	OrderCreated Order = "created"
	OrderTier    Order = "tier"
	OrderStatus  Order = "status"
	OrderUsers   Order = "users"
	OrderMRR     Order = "mrr"
)

// Orders lists every order (API enums).
var Orders = []Order{OrderName, OrderCreated, OrderTier, OrderStatus, OrderUsers, OrderMRR}

// Listing is what the provider's tenants table asks for: a search, or an
// order (ascending unless Desc), and optionally one status.
type Listing struct {
	// Search matches the start of the tenant's name (any case) or of its id.
	// Results come in the order of the matched text; Order must be empty.
	Search string
	Order  Order
	Desc   bool
	Status Status
}

// MaxSearch bounds a search (a prefix; longer adds nothing).
const MaxSearch = 64

// ParseListing reads the tenants table's query parameters: q, sort (an
// order, "-" first for descending) and status. A bad value is a 400 naming
// its parameter.
func ParseListing(q, sort, status string) (Listing, error) {
	var l Listing
	l.Search = strings.TrimSpace(q)
	if !utf8.ValidString(l.Search) || utf8.RuneCountInString(l.Search) > MaxSearch {
		return l, errs.Field("q", fmt.Sprintf("must be valid text of at most %d characters", MaxSearch))
	}
	if sort != "" {
		l.Desc = strings.HasPrefix(sort, "-")
		l.Order = Order(strings.TrimPrefix(sort, "-"))
		if !slices.Contains(Orders, l.Order) {
			return l, errs.Field("sort", fmt.Sprintf("must be one of %v, with '-' first for descending", Orders))
		}
		if l.Search != "" {
			return l, errs.Invalid("sort_with_search", "a search lists matches by name and id; send it without sort",
				errs.FieldError{Field: "sort", Reason: "cannot be combined with q"})
		}
	}
	if l.Search == "" && l.Order == "" {
		l.Order, l.Desc = OrderCreated, true
	}
	if status != "" {
		l.Status = Status(status)
		if !slices.Contains(Statuses, l.Status) {
			return l, errs.Field("status", fmt.Sprintf("must be one of %v", Statuses))
		}
	}
	return l, nil
}

// SearchKey is how names and searches are compared: NFC, lower case,
// spaces collapsed.
func SearchKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(text.NFC(s))), " ")
}

// Row is one line of the provider's tenants table: the tenant, its people
// and what it pays a month.
type Row struct {
	Tenant
	// Users is the tenant's seat count when the row was last refreshed.
	Users int
	// MRRCents is the monthly amount its subscription bills while paying
	// (active or in the grace period); 0 otherwise.
	MRRCents int64
}

// Directory is the provider's tenants table (tenantdb): one Query of an
// index partition per page, never a Scan.
type Directory interface {
	// Rows returns a page of the table. A page may hold fewer rows than the
	// limit (a status filter, a row whose tenant is gone) with a cursor to go on.
	Rows(ctx context.Context, l Listing, req list.Request) (list.Page[Row], error)
	// SetUsers and SetMRR refresh the rows' figures that other domains own
	// (the directory's seat count, the billing account's amount).
	SetUsers(ctx context.Context, id string, users int) error
	SetMRR(ctx context.Context, id string, cents int64) error
}
