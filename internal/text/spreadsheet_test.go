package text_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/text"
)

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "@SUM(A1)": "'@SUM(A1)", "-x": "'-x", "\t=1": "'\t=1", "\r=1": "'\r=1",
		" =HYPERLINK(\"http://x\")": "' =HYPERLINK(\"http://x\")", "\n=1+1": "'\n=1+1", "\u00a0=1": "'\u00a0=1",
		"\uff1d1+1": "'\uff1d1+1", "\uff20x": "'\uff20x", "\u3000\uff0bx": "'\u3000\uff0bx",
		"-5": "-5", "3.14": "3.14", "-0.5": "-0.5", "plain": "plain", "": "", "a=b": "a=b", "1-2": "1-2", "-": "'-", "-.5": "'-.5",
	} {
		assert.Equal(t, want, text.SpreadsheetSafe(in), "%q", in)
	}
}
