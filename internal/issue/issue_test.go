package issue_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
)

func TestTransitionGraph(t *testing.T) {
	cases := []struct {
		from, to issue.Status
		ok       bool
	}{
		{issue.Open, issue.InProgress, true}, {issue.Open, issue.Closed, true}, {issue.Open, issue.InReview, false},
		{issue.InProgress, issue.InReview, true}, {issue.InProgress, issue.Open, true},
		{issue.InReview, issue.Closed, true}, {issue.InReview, issue.Open, false},
		{issue.Closed, issue.Open, true}, {issue.Closed, issue.InProgress, false}, {issue.Open, issue.Open, false},
	}
	for _, c := range cases {
		name := string(c.from) + " to " + string(c.to) + " is forbidden"
		if c.ok {
			name = string(c.from) + " to " + string(c.to) + " is allowed"
		}
		t.Run(name, func(t *testing.T) {
			i := issue.Issue{Status: c.from, Category: issue.CategoryOf(c.from)}
			_, err := i.Transition(c.to, time.Now())
			assert.Equal(t, c.ok, err == nil, err)
		})
	}
}

func TestKeys(t *testing.T) {
	assert.Equal(t, "ACME-42", issue.FormatKey("acme", 42))
	assert.Equal(t, "ACMECORP1-1", issue.FormatKey("acme-corp-1", 1))
	assert.Equal(t, "WEB-7", issue.ProjectKey("WEB", 7))
	prefix, n, isKey := issue.SplitKey("web-42")
	assert.Equal(t, []any{"WEB", int64(42), true}, []any{prefix, n, isKey})
	for _, notKey := range []string{"01J8ZK3ZD5N0Q3W2XKZ6Y7ABCD", "-4", "WEB-", "WEB-0", "WEB-x", "VERYLONGKEYX-1"} {
		_, _, isKey = issue.SplitKey(notKey)
		assert.False(t, isKey, notKey)
	}
}

func TestWordsAndMentions(t *testing.T) {
	assert.Equal(t, []string{"login", "fails", "sso", "v2"}, issue.Words("The login fails (SSO) on v2!"))
	assert.Equal(t, []string{"bob", "a.b"}, issue.MentionHandles("@bob, ping @a.b. mail me@x.org @bob"))
	ts := issue.IssueTerms("Login login", "login page")
	assert.Equal(t, []issue.Term{{Word: "login", Weight: 5}, {Word: "page", Weight: 1}}, ts)
}

func TestFilterMatch(t *testing.T) {
	i := issue.Issue{Status: issue.Open, Category: issue.Unstarted, DueDate: "2020-01-01", Labels: []string{"a"}}
	assert.True(t, issue.Filter{Overdue: true, Today: "2021-01-01"}.Match(i))
	assert.True(t, issue.Filter{Assignees: []string{issue.NoAssignee}}.Match(i))
	assert.False(t, issue.Filter{Labels: []string{"b"}}.Match(i))
	i.Category = issue.Completed
	assert.False(t, issue.Filter{Overdue: true, Today: "2021-01-01"}.Match(i), "a completed issue is never overdue")
}

func TestMentionHandles(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"@someone@company.com please look", []string{"someone@company.com"}},
		{"cc @Ann.Smith@Acme.io.", []string{"Ann.Smith@Acme.io"}},
		{"(@ann) and @ann@acme.test, @ANN again", []string{"ann", "ann@acme.test"}},
		{"mail me@x.org or @x@y, not @@ann", []string{"x"}},
		{"@first.last- and @a+tag@sub.example.co.uk", []string{"first.last", "a+tag@sub.example.co.uk"}},
		{"no mentions here", nil},
	} {
		assert.Equal(t, tc.want, issue.MentionHandles(tc.text), tc.text)
	}
	var many strings.Builder
	for i := range 50 {
		fmt.Fprintf(&many, "@user%d ", i)
	}
	assert.Len(t, issue.MentionHandles(many.String()), issue.MaxMentions)
}

// FuzzMentionHandles: any text gives at most MaxMentions distinct handles,
// each of which, written after "@", is found again as itself.
func FuzzMentionHandles(f *testing.F) {
	for _, s := range []string{"@ann", "@someone@company.com.", "x@y @z", "@a@b@c.d", "@\u00e9t\u00e9", "@-x @.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		hs := issue.MentionHandles(text)
		if len(hs) > issue.MaxMentions {
			t.Fatalf("%d handles", len(hs))
		}
		for _, h := range hs {
			if h == "" || strings.HasSuffix(h, ".") || strings.HasSuffix(h, "-") {
				t.Fatalf("bad handle %q of %q", h, text)
			}
			again := issue.MentionHandles("@" + h)
			if len(again) != 1 || again[0] != h {
				t.Fatalf("handle %q of %q parses as %q", h, text, again)
			}
		}
	})
}
