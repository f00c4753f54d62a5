// Command stream-activity is the activity consumer of a tenant table's
// change stream (the second and last reader of each stream, beside
// stream-analytics): activity entries and comments become watchers, inbox
// entries and pending mail (internal/notify). Its schedule invokes it with
// {"job": "send-notification-mail"} every minute to send what is due.
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeActivityStream() }
