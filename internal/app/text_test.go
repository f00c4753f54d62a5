package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Control characters, invalid UTF-8 and lone surrogates are refused in
// every text field of every domain with a 400 naming the field; newline and
// tab only where the field is multi-line. Nothing is stored.
func TestTextFieldsRefuseControlsAndInvalidText(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	owner, root := "owner@acme.test", "root"
	type field struct {
		caller, method, path, name string
		base                       map[string]any
		multiline                  bool
	}
	fields := []field{
		{owner, "POST", "/v1/issues", "title", map[string]any{}, false},
		{owner, "POST", "/v1/issues", "description", map[string]any{"title": "ok"}, true},
		{owner, "PATCH", "/v1/issues/" + c["issueId"], "title", map[string]any{}, false},
		{owner, "PATCH", "/v1/issues/" + c["issueId"], "description", map[string]any{}, true},
		{owner, "POST", "/v1/issues/" + c["issueId"] + "/comments", "body", map[string]any{}, true},
		{owner, "PATCH", "/v1/issues/" + c["issueId"] + "/comments/" + c["commentId"], "body", map[string]any{}, true},
		{owner, "POST", "/v1/labels", "name", map[string]any{}, false},
		{owner, "PATCH", "/v1/labels/" + c["labelId"], "name", map[string]any{}, false},
		{owner, "POST", "/v1/teams", "name", map[string]any{}, false},
		{owner, "POST", "/v1/teams", "description", map[string]any{"name": "ok"}, true},
		{owner, "PATCH", "/v1/teams/" + c["teamId"], "name", map[string]any{}, false},
		{owner, "POST", "/v1/users", "display_name", map[string]any{"email": "x@acme.test", "role": "user"}, false},
		{owner, "POST", "/v1/users", "email", map[string]any{"role": "user"}, false},
		{owner, "PUT", "/v1/branding", "display_name", map[string]any{}, false},
		{"", "POST", "/v1/registrations", "company_name", map[string]any{"slug": "newco", "admin_email": "a@newco.test", "tier": "basic"}, false},
		{root, "POST", "/v1/admin/tenants/globex/suspend", "reason", map[string]any{}, false},
		// file names, shown in lists and downloads
		{owner, "POST", "/v1/issues/" + c["issueId"] + "/attachments", "filename", map[string]any{"content_type": "text/plain", "size": 3, "sha256": strings.Repeat("a", 64)}, false},
		{owner, "POST", "/v1/imports", "filename", map[string]any{"size": 3, "parts": 1, "sha256": strings.Repeat("b", 64)}, false},
		// project, cycle, view and custom field names
		{owner, "POST", "/v1/projects", "name", map[string]any{"key": "RTL"}, false},
		{owner, "POST", "/v1/cycles", "name", map[string]any{"project_id": "default", "starts_on": "2099-01-01", "ends_on": "2099-01-14"}, false},
		{owner, "POST", "/v1/views", "name", map[string]any{}, false},
		{owner, "POST", "/v1/projects/default/fields", "name", map[string]any{"type": "text"}, false},
		{owner, "PATCH", "/v1/projects/default", "description", map[string]any{}, true},
	}
	type value struct {
		name, raw string // raw is the JSON string literal as sent
		refused   bool   // for a multi-line field
	}
	values := []value{
		{"NUL", `"a\u0000b"`, true},
		{"an ANSI escape", `"\u001b[31mred"`, true},
		{"a C1 control", `"a\u0085b"`, true},
		{"DEL", `"a\u007fb"`, true},
		{"invalid UTF-8", "\"a\xffb\"", true},
		{"a lone surrogate", `"a\ud800b"`, true},
		{"a newline", `"a\nb"`, false},
		{"a tab", `"a\tb"`, false},
		// right-to-left override: "x\u202egpj.exe" shows as "xexe.jpg"
		{"a directional override", `"x\u202egpj.exe"`, false},
		{"a directional isolate", `"a\u2067b\u2069"`, false},
	}
	for _, f := range fields {
		for _, v := range values {
			refused := v.refused || !f.multiline
			verdict := "is refused"
			if !refused {
				verdict = "is accepted"
			}
			t.Run(f.method+" "+f.path+" "+f.name+": "+v.name+" "+verdict, func(t *testing.T) {
				b, _ := json.Marshal(f.base)
				body := strings.TrimSuffix(string(b), "}")
				if body != "{" {
					body += ","
				}
				body += `"` + f.name + `":` + v.raw + "}"
				ex := apitest.Example{Caller: f.caller}
				res := w.Call(ex, f.method, f.path, body)
				if !refused {
					assert.Less(t, res.Status, 300, string(res.Body))
					return
				}
				require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
				p := res.Map(t)
				errsList, _ := p["errors"].([]any)
				require.NotEmpty(t, errsList, string(res.Body))
				assert.Equal(t, f.name, errsList[0].(map[string]any)["field"], string(res.Body))
			})
		}
	}

	t.Run("label names are unique in NFC: a decomposed é is the same name", func(t *testing.T) {
		ex := apitest.Example{Caller: owner}
		res := w.Call(ex, "POST", "/v1/labels", map[string]any{"name": "Caf\u00e9"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		res = w.Call(ex, "POST", "/v1/labels", map[string]any{"name": "Cafe\u0301"})
		assert.Equal(t, http.StatusConflict, res.Status, string(res.Body))
	})
	t.Run("text is stored in NFC", func(t *testing.T) {
		res := w.Call(apitest.Example{Caller: owner}, "POST", "/v1/teams", map[string]any{"name": "Re\u0301seau"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		assert.Equal(t, "R\u00e9seau", res.Map(t)["name"])
	})
}
