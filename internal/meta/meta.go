// Package meta serves the API's public operations that belong to no tenant:
// liveness and the tier catalog (the pricing page reads it).
package meta

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Operations of the meta function.
func Operations() httpapi.Operations {
	return httpapi.Operations{
		"getHealth": func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		},
		"listTiers": func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tiers": tiers.All()})
		},
	}
}
