// Command webhook-delivery is the Lambda function that receives the webhook
// queue's messages and makes one delivery attempt each (internal/webhook).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeWebhookDelivery() }
