package issue

import (
	"github.com/issuetracker/issuetracker/internal/text"
	"slices"
	"strings"
	"unicode"
)

// Search indexing limits: every distinct term of an issue's title and
// description up to MaxIssueTerms (title first), and of a comment up to
// MaxCommentTerms, is searchable by prefix. See docs/data-model.md.
const (
	MaxIssueTerms   = 32
	MaxCommentTerms = 16
	MinTermLen      = 2
	MaxTermLen      = 32
	MaxQueryWords   = 5
)

var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("a an and are as at be but by for from has have in into is it its of on or that the this to was were will with") {
		stopwords[w] = true
	}
}

// Words splits text into lower-cased search words, in order, with repeats.
func Words(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := f[:0]
	for _, w := range f {
		if len([]rune(w)) < MinTermLen || stopwords[w] {
			continue
		}
		if r := []rune(w); len(r) > MaxTermLen {
			w = string(r[:MaxTermLen])
		}
		out = append(out, w)
	}
	return out
}

// Term is an indexed word with its weight in one document.
type Term struct {
	Word   string
	Weight int
}

// IssueTerms are the weighted distinct terms of an issue: a title word
// weighs 3, a description word 1 per occurrence (at most 3 in all).
func IssueTerms(title, description string) []Term {
	return weigh(MaxIssueTerms, weighted{Words(title), 3}, weighted{Words(description), 1})
}

// CommentTerms are the weighted distinct terms of a comment body.
func CommentTerms(body string) []Term {
	return weigh(MaxCommentTerms, weighted{Words(body), 1})
}

type weighted struct {
	words []string
	w     int
}

func weigh(max int, parts ...weighted) []Term {
	idx := map[string]int{}
	var out []Term
	for _, p := range parts {
		for _, w := range p.words {
			if i, ok := idx[w]; ok {
				out[i].Weight = min(out[i].Weight+p.w, 5)
				continue
			}
			if len(out) == max {
				continue
			}
			idx[w] = len(out)
			out = append(out, Term{Word: w, Weight: min(p.w, 5)})
		}
	}
	return out
}

// TermWords returns the words of terms, sorted.
func TermWords(ts []Term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Word
	}
	slices.Sort(out)
	return out
}

// A mention is "@" after a non-word character, then an email address
// ("@ann@acme.com") or a name ("@ann", "@ann.smith"); trailing dots and
// hyphens are punctuation.
var mentionRE = text.Lazy(`(?:^|[^\w@])@([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}(?:@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)?)`)

// MaxMentions is how many distinct handles of one text are resolved.
const MaxMentions = 20

// MentionHandles returns the distinct handles mentioned in a markdown body,
// in order, as written (compared case-insensitively), at most MaxMentions:
// "someone@company.com" for "@someone@company.com", "ann" for "@ann".
func MentionHandles(body string) []string {
	var out []string
	for _, m := range mentionRE.Regexp().FindAllStringSubmatch(body, -1) {
		h := strings.TrimRight(m[1], ".-")
		if h == "" || slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, h) }) {
			continue
		}
		if len(out) == MaxMentions {
			break
		}
		out = append(out, h)
	}
	return out
}

// Mention is a handle of a text resolved to a user of the workspace when
// the text was written. Handles that match no user (or several) stay text
// and are not listed.
type Mention struct {
	Handle string `json:"handle"`
	UserID string `json:"user_id"`
}
