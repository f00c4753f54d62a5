package tenancy

// Scope is where one tenant's data lives: the table (the pooled table, or a
// Platinum tenant's own) and the tenant id every key starts with. It is
// taken from the verified caller (Principal.Scope), never from input, and
// every tenant store method takes one.
type Scope struct {
	Table    string
	TenantID string
}

// Scope is the caller's tenant scope (zero for root).
func (p Principal) Scope() Scope { return Scope{Table: p.Table, TenantID: p.TenantID} }
