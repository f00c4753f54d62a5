// Command presignup is the PreSignUp trigger of the shared tenant pool when
// Google sign-in is on: it links a first Google sign-in to the person a
// tenant invited with the same verified email, and refuses everyone else
// (internal/federation, run by app.ServePreSignUp).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServePreSignUp() }
