package attachment_test

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sum(b string) string {
	s := sha256.Sum256([]byte(b))
	return base64.StdEncoding.EncodeToString(s[:])
}

func fields(err error) []string {
	var out []string
	for _, f := range errs.As(err).Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestUploadRequestValidation(t *testing.T) {
	ok := func() attachment.UploadRequest {
		return attachment.UploadRequest{Filename: "shot.png", ContentType: "image/png", Size: 10, SHA256: sum("x")}
	}
	good := ok()
	require.NoError(t, good.Validate(100))

	for _, c := range []struct {
		name  string
		edit  func(*attachment.UploadRequest)
		field string
	}{
		{"a file larger than the plan's cap", func(u *attachment.UploadRequest) { u.Size = 101 }, "size"},
		{"an empty file", func(u *attachment.UploadRequest) { u.Size = 0 }, "size"},
		{"HTML", func(u *attachment.UploadRequest) { u.ContentType = "text/html" }, "content_type"},
		{"SVG (it can carry scripts)", func(u *attachment.UploadRequest) { u.ContentType = "image/svg+xml" }, "content_type"},
		{"a type with parameters", func(u *attachment.UploadRequest) { u.ContentType = "text/plain; charset=utf-8" }, "content_type"},
		{"an upper-case type", func(u *attachment.UploadRequest) { u.ContentType = "IMAGE/PNG" }, "content_type"},
		{"no type", func(u *attachment.UploadRequest) { u.ContentType = "" }, "content_type"},
		{"a checksum that is not SHA-256", func(u *attachment.UploadRequest) { u.SHA256 = "abc" }, "sha256"},
		{"a hex checksum", func(u *attachment.UploadRequest) { u.SHA256 = strings.Repeat("ab", 32) }, "sha256"},
		{"no file name", func(u *attachment.UploadRequest) { u.Filename = "  " }, "filename"},
		{"a file name with a control character", func(u *attachment.UploadRequest) { u.Filename = "a\x1bb.png" }, "filename"},
		{"a file name too long", func(u *attachment.UploadRequest) { u.Filename = strings.Repeat("a", 256) }, "filename"},
		{"a comment id that is not an id", func(u *attachment.UploadRequest) { u.CommentID = "x#y" }, "comment_id"},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			u := ok()
			c.edit(&u)
			err := u.Validate(100)
			require.Error(t, err)
			assert.Contains(t, fields(err), c.field)
		})
	}
	t.Run("keeps only the base name of a path", func(t *testing.T) {
		u := ok()
		u.Filename = `C:\Users\me\..\shot.png`
		require.NoError(t, u.Validate(100))
		assert.Equal(t, "shot.png", u.Filename)
	})
}

func TestDownloadsShowImagesInlineAndEverythingElseAsAttachment(t *testing.T) {
	img := attachment.Attachment{Filename: "Bildschirmfoto ä.png", ContentType: "image/png"}
	assert.True(t, img.Inline())
	assert.Equal(t, `inline; filename*=utf-8''Bildschirmfoto%20%C3%A4.png`, img.Disposition())
	pdf := attachment.Attachment{Filename: `report "q3".pdf`, ContentType: "application/pdf"}
	assert.False(t, pdf.Inline())
	assert.Equal(t, `attachment; filename="report \"q3\".pdf"`, pdf.Disposition())
}

func TestTheConfirmationComparesTheStoredObjectWithTheDeclaration(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 20)
	a := attachment.Attachment{ContentType: "image/png", Size: int64(len(png)), SHA256: sum(png)}
	assert.Empty(t, attachment.Mismatch(a, attachment.ObjectInfo{Size: a.Size, ContentType: "image/png", SHA256: sum(png), Head: []byte(png)}))

	swapped := attachment.Mismatch(a, attachment.ObjectInfo{Size: 3, ContentType: "text/html", SHA256: sum("abc"), Head: []byte("abc")})
	var got []string
	for _, f := range swapped {
		got = append(got, f.Field)
	}
	assert.Equal(t, []string{"size", "content_type", "sha256"}, got)

	html := "<html><script>alert(1)</script></html>"
	h := attachment.Attachment{ContentType: "image/png", Size: int64(len(html)), SHA256: sum(html)}
	m := attachment.Mismatch(h, attachment.ObjectInfo{Size: h.Size, ContentType: "image/png", SHA256: sum(html), Head: []byte(html)})
	require.Len(t, m, 1, "HTML declared as an image is refused by its content")
	assert.Equal(t, "content_type", m[0].Field)
}

func TestContentSniffing(t *testing.T) {
	for _, c := range []struct {
		declared, body string
		ok             bool
	}{
		{"text/plain", "hello", true},
		{"application/json", `{"a": 1}`, true},
		{"text/csv", "a,b\n1,2\n", true},
		{"text/plain", "<!DOCTYPE html><p>hi", false},
		{"text/markdown", "<?xml version=\"1.0\"?><svg/>", false},
		{"application/pdf", "%PDF-1.7\n", true},
		{"application/pdf", "hello", false},
		{"image/jpeg", "\xff\xd8\xff\xe0", true},
		{"image/gif", "GIF89a", true},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04", true},
		{"application/gzip", "\x1f\x8b\x08", true},
	} {
		got := attachment.ContentProblem(c.declared, []byte(c.body))
		assert.Equal(t, c.ok, got == "", "%s %q: %s", c.declared, c.body, got)
	}
}
