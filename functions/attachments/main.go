// Command attachments is the Lambda function that serves the routes the
// route table gives to "attachments" (internal/routes), behind API
// Gateway's REST proxy, and the hourly sweep of uploads that never
// completed ({"job": "sweep-uploads"} from its schedule).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeAttachments() }
