package awsjson_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
)

// One IsCode reads the code of every error answer the functions see: the
// hand-signed JSON calls', the hand-signed S3 calls' and the SDK's, wrapped
// or not.
func TestIsCodeReadsEveryKindOfServiceError(t *testing.T) {
	for name, err := range map[string]error{
		"awsjson":  &awsjson.Error{Status: 400, Code: "UserNotFoundException"},
		"s3signed": &s3signed.Error{Status: 404, Code: "UserNotFoundException"},
		"sdk":      &smithy.GenericAPIError{Code: "UserNotFoundException"},
	} {
		wrapped := fmt.Errorf("calling: %w", err)
		assert.True(t, awsjson.IsCode(wrapped, "Other", "UserNotFoundException"), name)
		assert.False(t, awsjson.IsCode(wrapped, "Other"), name)
		assert.False(t, awsjson.IsCode(wrapped), name)
	}
	assert.False(t, awsjson.IsCode(errors.New("UserNotFoundException"), "UserNotFoundException"))
	assert.False(t, awsjson.IsCode(nil, "UserNotFoundException"))
}
