// Package meta serves the API's public operations that belong to no tenant:
// liveness, the tier catalog (the pricing page reads it) and the OpenAPI
// document.
package meta

import (
	"net/http"
	"sync"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Operations of the meta function.
func Operations() httpapi.Operations {
	return httpapi.Operations{
		"getHealth": func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, httpapi.Health{Status: "ok"})
		},
		"listTiers": func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, tiers.Catalog{Tiers: tiers.All()})
		},
		"getOpenAPI": func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, openAPI())
		},
	}
}

// Document is the API's OpenAPI 3.1 document (the web app's client is generated from it).
func Document() openapi.Doc { return openAPI() }

// openAPI is the API's OpenAPI 3.1 document, built once from the route table.
var openAPI = sync.OnceValue(func() openapi.Doc {
	return openapi.Document()
})
