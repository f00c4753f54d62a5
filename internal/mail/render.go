package mail

import (
	"strconv"
	"strings"
)

// The messages are Go functions writing into a strings.Builder, one for
// the plain-text part and one for the HTML part; they replaced
// text/template and html/template templates (internal/mail/templates)
// with the same output byte for byte (golden_test.go). In the HTML part
// every value goes through h (text) or href (a URL attribute); the text
// part writes values as they are.

// part is one part of a message being written.
type part struct{ strings.Builder }

// w writes literal text (the message's own markup).
func (p *part) w(ss ...string) {
	for _, s := range ss {
		p.WriteString(s)
	}
}

// h writes a value into an HTML text node or quoted attribute.
func (p *part) h(s string) { escapeHTML(&p.Builder, s) }

// href writes a URL as the value of a double-quoted href.
func (p *part) href(s string) { escapeHref(&p.Builder, s) }

const (
	htmlHead = "<!doctype html>\n<html lang=\"en\"><body style=\"font-family: system-ui, sans-serif; color: #1f2937;\">\n"
	htmlFoot = "<p>&mdash; IssueTracker</p>\n</body></html>\n"
)

func verificationParts(company, code string, minutes int) (string, string) {
	var t, h part
	t.w("Hello,\n\nSomeone (hopefully you) registered ", company, " on IssueTracker with this\n",
		"email address as its administrator. To confirm that this address is yours,\n",
		"enter this code on the registration page:\n\n    ", code, "\n\n",
		"The code expires in ", strconv.Itoa(minutes), " minutes. If you did not register, ignore\n",
		"this message: nothing is created until the code is entered.\n\n-- IssueTracker\n")

	h.w(htmlHead, "<p>Hello,</p>\n<p>Someone (hopefully you) registered <strong>")
	h.h(company)
	h.w("</strong> on IssueTracker with this email address as its administrator. To confirm that this address is yours, enter this code on the registration page:</p>\n",
		"<p style=\"font-size: 28px; letter-spacing: 6px; font-weight: bold;\">")
	h.h(code)
	h.w("</p>\n<p>The code expires in ", strconv.Itoa(minutes),
		" minutes. If you did not register, ignore this message: nothing is created until the code is entered.</p>\n", htmlFoot)
	return t.String(), h.String()
}

func invitationElsewhereParts(company, email string) (string, string) {
	var t, h part
	t.w("Hello,\n\nSomeone at ", company, " invited this email address (", email, ") to their\n",
		"workspace on IssueTracker. This address already has an IssueTracker account in\n",
		"another workspace, and an address can belong to one workspace only, so no\n",
		"account was created and nothing changed in yours.\n\n",
		"To join ", company, ", ask whoever invited you to invite another address of yours.\n",
		"If you did not expect this, ignore this message. ", company, " was not told that\n",
		"this address has an account.\n\n-- IssueTracker\n")

	h.w(htmlHead, "<p>Hello,</p>\n<p>Someone at <strong>")
	h.h(company)
	h.w("</strong> invited this email address (")
	h.h(email)
	h.w(") to their workspace on IssueTracker. This address already has an IssueTracker account in another workspace, and an address can belong to one workspace only, so no account was created and nothing changed in yours.</p>\n<p>To join <strong>")
	h.h(company)
	h.w("</strong>, ask whoever invited you to invite another address of yours. If you did not expect this, ignore this message. <strong>")
	h.h(company)
	h.w("</strong> was not told that this address has an account.</p>\n", htmlFoot)
	return t.String(), h.String()
}

func invitationParts(company, email, role, password, signIn string, days int) (string, string) {
	var t, h part
	t.w("Hello,\n\nYou have been invited to the ", company, " workspace on IssueTracker as ", role, ".\n\n",
		"Sign in at:    ", signIn, "\nEmail:         ", email, "\nTemporary password: ", password, "\n\n",
		"You will choose your own password when you first sign in. The temporary\n",
		"password works for ", strconv.Itoa(days), " days.\n\n-- IssueTracker\n")

	h.w(htmlHead, "<p>Hello,</p>\n<p>You have been invited to the <strong>")
	h.h(company)
	h.w("</strong> workspace on IssueTracker as ")
	h.h(role)
	h.w(".</p>\n<table role=\"presentation\">\n<tr><td>Sign in at</td><td><a href=\"")
	h.href(signIn)
	h.w("\">")
	h.h(signIn)
	h.w("</a></td></tr>\n<tr><td>Email</td><td>")
	h.h(email)
	h.w("</td></tr>\n<tr><td>Temporary password</td><td><code style=\"font-size: 16px;\">")
	h.h(password)
	h.w("</code></td></tr>\n</table>\n<p>You will choose your own password when you first sign in. The temporary password works for ",
		strconv.Itoa(days), " days.</p>\n", htmlFoot)
	return t.String(), h.String()
}

func usageWarningParts(company, tier, period, message, used, limit, usageURL string) (string, string) {
	var t, h part
	t.w("Hello,\n\n", message, ".\n\n",
		"Workspace:  ", company, " (", tier, " tier)\n",
		"Period:     ", period, "\n",
		"Used:       ", used, " of ", limit, "\n\n",
		"See the workspace's usage at ", usageURL)
	if limit != "" {
		t.w(", or change the plan there")
	}
	t.w(".\n\n-- IssueTracker\n")

	h.w(htmlHead, "<p>Hello,</p>\n<p><strong>")
	h.h(message)
	h.w(".</strong></p>\n<table role=\"presentation\">\n<tr><td>Workspace</td><td>")
	h.h(company)
	h.w(" (")
	h.h(tier)
	h.w(" tier)</td></tr>\n<tr><td>Period</td><td>")
	h.h(period)
	h.w("</td></tr>\n<tr><td>Used</td><td>")
	h.h(used)
	h.w(" of ")
	h.h(limit)
	h.w("</td></tr>\n</table>\n<p>See the workspace's usage at <a href=\"")
	h.href(usageURL)
	h.w("\">")
	h.h(usageURL)
	h.w("</a>, or change the plan there.</p>\n", htmlFoot)
	return t.String(), h.String()
}

func billingParts(company, message, until, billingURL string) (string, string) {
	var t, h part
	t.w("Hello,\n\n", message, "\n\nWorkspace:  ", company, "\n")
	if until != "" {
		t.w("Pay by:     ", until, "\n")
	}
	t.w("\nManage the plan and see invoices at ", billingURL, ".\n\n-- IssueTracker\n")

	h.w(htmlHead, "<p>Hello,</p>\n<p><strong>")
	h.h(message)
	h.w("</strong></p>\n<table role=\"presentation\">\n<tr><td>Workspace</td><td>")
	h.h(company)
	h.w("</td></tr>\n")
	if until != "" {
		h.w("<tr><td>Pay by</td><td>")
		h.h(until)
		h.w("</td></tr>")
	}
	h.w("\n</table>\n<p>Manage the plan and see invoices at <a href=\"")
	h.href(billingURL)
	h.w("\">")
	h.h(billingURL)
	h.w("</a>.</p>\n", htmlFoot)
	return t.String(), h.String()
}

func notificationsParts(name, company string, lines []NotificationLine, preferencesURL, unsubscribeURL string) (string, string) {
	var t, h part
	t.w("Hello ", name, ",\n\n")
	if len(lines) == 1 {
		t.w("There is news in ", company, ":")
	} else {
		t.w(strconv.Itoa(len(lines)), " updates in ", company, ":")
	}
	t.w("\n")
	for _, l := range lines {
		t.w("\n* ", l.Actor, " ", l.Summary, ": ", l.Title)
		if l.Excerpt != "" {
			t.w("\n  \"", l.Excerpt, "\"")
		}
		t.w("\n  ", l.URL, "\n")
	}
	t.w("\nYou receive these because you watch these issues or were mentioned or assigned.\n",
		"Change what you receive: ", preferencesURL, "\n",
		"Unsubscribe from all notification mail: ", unsubscribeURL, "\n\n",
		"-- ", company, " on IssueTracker\n")

	h.w(htmlHead, "<p>Hello ")
	h.h(name)
	h.w(",</p>\n<p>")
	if len(lines) == 1 {
		h.w("There is news in <strong>")
	} else {
		h.w(strconv.Itoa(len(lines)), " updates in <strong>")
	}
	h.h(company)
	h.w("</strong>:</p>\n<ul>\n")
	for _, l := range lines {
		h.w("<li><strong>")
		h.h(l.Actor)
		h.w("</strong> ")
		h.h(l.Summary)
		h.w(": <a href=\"")
		h.href(l.URL)
		h.w("\">")
		h.h(l.Title)
		h.w("</a>")
		if l.Excerpt != "" {
			h.w("<br><em>&ldquo;")
			h.h(l.Excerpt)
			h.w("&rdquo;</em>")
		}
		h.w("</li>\n")
	}
	h.w("</ul>\n<p style=\"font-size: 12px; color: #6b7280;\">You receive these because you watch these issues or were mentioned or assigned.\n<a href=\"")
	h.href(preferencesURL)
	h.w("\">Change what you receive</a> &middot; <a href=\"")
	h.href(unsubscribeURL)
	h.w("\">Unsubscribe from all notification mail</a></p>\n<p>&mdash; ")
	h.h(company)
	h.w(" on IssueTracker</p>\n</body></html>\n")
	return t.String(), h.String()
}
