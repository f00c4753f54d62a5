package infra_test

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

func logicalID(c constructs.IConstruct) string {
	el := c.(awscdk.CfnElement)
	return *awscdk.Stack_Of(c).GetLogicalId(el)
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
