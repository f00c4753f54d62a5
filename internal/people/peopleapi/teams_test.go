package peopleapi_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTeams(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin, user := w.as("admin@acme.test"), w.as("user@acme.test")
	var team people.Team
	t.Run("an Admin creates a team", func(t *testing.T) {
		res := admin.Do("POST", "/v1/teams", map[string]any{"name": " Platform ", "description": "Infra"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		res.JSON(t, &team)
		assert.Equal(t, "Platform", team.Name)
		assert.Equal(t, "acme", team.TenantID)
	})
	t.Run("the items follow the key contract with the issues API", func(t *testing.T) {
		require.Equal(t, 200, admin.Do("PUT", "/v1/teams/"+team.ID+"/members/"+w.users["user@acme.test"].ID, nil).Status)
		item := func(pk, sk string) map[string]types.AttributeValue {
			out, err := w.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.names.App()),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}})
			require.NoError(t, err)
			require.NotNil(t, out.Item, pk+" "+sk)
			return out.Item
		}
		it := item("T#acme#TEAM#"+team.ID, "TEAM")
		assert.Equal(t, team.ID, it["id"].(*types.AttributeValueMemberS).Value)
		assert.Equal(t, "acme", it["tenant_id"].(*types.AttributeValueMemberS).Value)
		assert.Equal(t, "Platform", it["name"].(*types.AttributeValueMemberS).Value)
		m := item("T#acme#TEAM#"+team.ID, "MEMBER#"+w.users["user@acme.test"].ID)
		assert.Equal(t, "T#acme#USERTEAMS#"+w.users["user@acme.test"].ID, m["gsi1pk"].(*types.AttributeValueMemberS).Value)
		assert.Equal(t, team.ID, m["gsi1sk"].(*types.AttributeValueMemberS).Value)
	})
	t.Run("adding a member again answers the membership as it was and changes nothing", func(t *testing.T) {
		// A PUT of the same thing is idempotent: until audit12 a repeat
		// rewrote added_at (and added_by).
		path := "/v1/teams/" + team.ID + "/members/" + w.users["user@acme.test"].ID
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "T#acme#TEAM#" + team.ID},
			"sk": &types.AttributeValueMemberS{Value: "MEMBER#" + w.users["user@acme.test"].ID}}
		stored := func() map[string]types.AttributeValue {
			out, err := w.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.names.App()), Key: key, ConsistentRead: aws.Bool(true)})
			require.NoError(t, err)
			return out.Item
		}
		before := stored()
		first := admin.Do("GET", "/v1/teams/"+team.ID+"/members", nil).Map(t)["items"].([]any)[0]
		time.Sleep(5 * time.Millisecond) // a rewrite would show a later added_at
		for range 2 {
			res := admin.Do("PUT", path, nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			assert.Equal(t, first, res.Map(t), "the answer is the membership as first added")
		}
		assert.Equal(t, before, stored(), "a repeated PUT changed the membership")
	})
	t.Run("members see the team, its members and their own teams", func(t *testing.T) {
		assert.Equal(t, "Platform", user.Do("GET", "/v1/teams/"+team.ID, nil).Map(t)["name"])
		var members list.Page[people.Member]
		user.Do("GET", "/v1/teams/"+team.ID+"/members", nil).JSON(t, &members)
		require.Len(t, members.Items, 1)
		assert.Equal(t, w.users["user@acme.test"].ID, members.Items[0].UserID)
		var mine list.Page[people.Member]
		user.Do("GET", "/v1/users/"+w.users["user@acme.test"].ID+"/teams", nil).JSON(t, &mine)
		require.Len(t, mine.Items, 1)
		assert.Equal(t, team.ID, mine.Items[0].TeamID)
	})
	t.Run("an Admin renames the team and it lists in name order", func(t *testing.T) {
		res := admin.Do("PATCH", "/v1/teams/"+team.ID, map[string]any{"name": "Alpha"})
		require.Equal(t, 200, res.Status, string(res.Body))
		assert.Equal(t, "Infra", res.Map(t)["description"], "absent fields stay")
		require.Equal(t, 201, admin.Do("POST", "/v1/teams", map[string]any{"name": "Beta"}).Status)
		var page list.Page[people.Team]
		user.Do("GET", "/v1/teams", nil).JSON(t, &page)
		require.Len(t, page.Items, 2)
		assert.Equal(t, "Alpha", page.Items[0].Name)
	})
	for _, c := range []struct {
		name, method, path, code string
		body                     any
		status                   int
	}{
		{"a team without a name", "POST", "/v1/teams", "validation_failed", map[string]any{"description": "x"}, 400},
		{"an empty name", "PATCH", "/v1/teams/{team}", "validation_failed", map[string]any{"name": "  "}, 400},
		{"a member of another tenant", "PUT", "/v1/teams/{team}/members/{globexUser}", "user_not_found", nil, 404},
		{"a member who does not exist", "PUT", "/v1/teams/{team}/members/nobody", "user_not_found", nil, 404},
		{"removing a non-member", "DELETE", "/v1/teams/{team}/members/nobody", "member_not_found", nil, 404},
		{"an unknown team", "GET", "/v1/teams/tm_nothing", "team_not_found", nil, 404},
		{"a forged cursor", "GET", "/v1/teams?cursor=eyJnc2kxcGsiOiJUI2dsb2JleCNURUFNUyJ9", "invalid_cursor", nil, 400},
	} {
		t.Run(c.name+" is a "+c.code, func(t *testing.T) {
			path := strings.NewReplacer("{team}", team.ID, "{globexUser}", w.users["owner@globex.test"].ID).Replace(c.path)
			res := admin.Do(c.method, path, c.body)
			assert.Equal(t, c.status, res.Status, string(res.Body))
			assert.Equal(t, c.code, res.Map(t)["code"])
		})
	}
	t.Run("deleting a team removes its memberships", func(t *testing.T) {
		require.Equal(t, 204, admin.Do("DELETE", "/v1/teams/"+team.ID, nil).Status)
		assert.Equal(t, 404, user.Do("GET", "/v1/teams/"+team.ID, nil).Status)
		var mine list.Page[people.Member]
		user.Do("GET", "/v1/users/"+w.users["user@acme.test"].ID+"/teams", nil).JSON(t, &mine)
		assert.Empty(t, mine.Items)
	})
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// Every tenant route that names a user or a team, generated from the route
// table: an Admin or a Super Admin of globex gets 404 for acme's objects,
// exactly as for objects that do not exist, and nothing changes.
func TestCrossTenantObjectsAreNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.as("admin@acme.test").Do("POST", "/v1/teams", map[string]any{"name": "Acme team"})
	require.Equal(t, 201, res.Status)
	teamID := res.Map(t)["id"].(string)
	ids := map[string]string{"userId": w.users["user@acme.test"].ID, "teamId": teamID}
	bodies := map[string]any{"changeUserRole": map[string]any{"role": "user"}, "updateTeam": map[string]any{"name": "Mine now"}}
	for _, rt := range routes.All() {
		if rt.Access.Kind != routes.Tenant || !pathParam.MatchString(rt.Path) {
			continue
		}
		ours := true // routes of users and teams; the issues API tests its own objects
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			_, ok := ids[m[1]]
			ours = ours && ok
		}
		if !ours {
			continue
		}
		path := pathParam.ReplaceAllStringFunc(rt.Path, func(p string) string { return ids[p[1:len(p)-1]] })
		for _, caller := range []string{"admin@globex.test", "owner@globex.test"} {
			if !rt.Access.Allows(w.users[caller].Role) {
				continue
			}
			t.Run(caller+" gets 404 for "+rt.Method+" "+rt.Path+" of acme", func(t *testing.T) {
				res := w.as(caller).Do(rt.Method, path, bodies[rt.OperationID])
				assert.Equal(t, http.StatusNotFound, res.Status, string(res.Body))
			})
		}
	}
	t.Run("and acme's objects are untouched", func(t *testing.T) {
		assert.Equal(t, "Acme team", w.as("user@acme.test").Do("GET", "/v1/teams/"+teamID, nil).Map(t)["name"])
		u := w.as("owner@acme.test").Do("GET", "/v1/users/"+ids["userId"], nil).Map(t)
		assert.Equal(t, "user", u["role"])
		assert.Equal(t, "active", u["status"])
	})
}

// A team's PATCH and DELETE honour If-Match (its version): a stale one is
// a 412 version_mismatch and changes nothing.
func TestTeamWritesHonourIfMatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := w.as("admin@acme.test")
	var team people.Team
	res := admin.Do("POST", "/v1/teams", map[string]any{"name": "Platform"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	res.JSON(t, &team)
	path := "/v1/teams/" + team.ID
	res = admin.Do("PATCH", path, map[string]any{"name": "Core"}, "If-Match", `"`+strconv.FormatInt(team.Version, 10)+`"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var up people.Team
	res.JSON(t, &up)
	require.Equal(t, team.Version+1, up.Version)
	stale := `"` + strconv.FormatInt(team.Version, 10) + `"`
	for method, body := range map[string]any{"PATCH": map[string]any{"name": "Stale"}, "DELETE": nil} {
		res := admin.Do(method, path, body, "If-Match", stale)
		require.Equal(t, http.StatusPreconditionFailed, res.Status, string(res.Body))
		assert.Equal(t, "version_mismatch", res.Map(t)["code"], method)
	}
	res = admin.Do("DELETE", path, nil, "If-Match", "3")
	require.Equal(t, http.StatusBadRequest, res.Status)
	assert.Equal(t, "invalid_if_match", res.Map(t)["code"])
	assert.Equal(t, "Core", admin.Do("GET", path, nil).Map(t)["name"], "nothing changed")
	require.Equal(t, http.StatusNoContent, admin.Do("DELETE", path, nil, "If-Match", `"`+strconv.FormatInt(up.Version, 10)+`"`).Status)
	assert.Equal(t, http.StatusNotFound, admin.Do("GET", path, nil).Status)
}
