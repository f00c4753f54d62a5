package tiers

// Price is a paid tier's recurring price at the billing provider. Prices
// are data next to the catalog: the provider's price is found (and created
// when missing, `issuetracker billing sync-prices`) by its LookupKey, so the
// same catalog serves every Stripe account (test, live, stripe-mock). A
// changed amount gets a new LookupKey version: Stripe prices are immutable.
type Price struct {
	Tier        Name   `json:"tier"`
	LookupKey   string `json:"lookup_key"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Interval    string `json:"interval"`
}

// PriceVersion is the version part of every lookup key.
const PriceVersion = "v1"

// Free reports whether the tier costs nothing (no subscription needed).
func (t Tier) Free() bool { return t.PriceUSD == 0 }

// PriceOf is the price of tier n; false for a free or unknown tier.
func PriceOf(n Name) (Price, bool) {
	t, ok := Get(n)
	if !ok || t.Free() {
		return Price{}, false
	}
	return Price{Tier: n, LookupKey: "issuetracker-" + string(n) + "-monthly-" + PriceVersion,
		AmountCents: int64(t.PriceUSD) * 100, Currency: "usd", Interval: "month"}, true
}

// Prices lists the paid tiers' prices in catalog order.
func Prices() []Price {
	var out []Price
	for _, t := range catalog {
		if p, ok := PriceOf(t.Name); ok {
			out = append(out, p)
		}
	}
	return out
}

// ByLookupKey finds the tier a provider price belongs to.
func ByLookupKey(key string) (Price, bool) {
	for _, p := range Prices() {
		if p.LookupKey == key {
			return p, true
		}
	}
	return Price{}, false
}
