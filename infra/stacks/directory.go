package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/directory"
)

// DirectoryStackName is the stack of the global tenant directory, one for
// every cell of the deployment.
const DirectoryStackName = "IssueTracker-Directory"

// DirectoryStack is the global tenant directory (docs/scale.md, "Cells").
type DirectoryStack struct {
	awscdk.Stack
	Directory *directory.Directory
}

// NewDirectoryStack defines IssueTracker-Directory in cfg's account and
// Region, with a replica in each of replicaRegions (the other Regions that
// hold a cell). Its table is named from the base prefix, not a cell's.
func NewDirectoryStack(scope constructs.Construct, cfg Config, replicaRegions []string) *DirectoryStack {
	cfg = cfg.withDefaults()
	st := awscdk.NewStack(scope, jsii.String(DirectoryStackName), &awscdk.StackProps{
		Env:         cfg.env(),
		Description: jsii.String("IssueTracker global tenant directory: tenant -> cell, API endpoint, user pool"),
	})
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("issuetracker"), nil)
	d := &DirectoryStack{Stack: st}
	d.Directory = directory.New(st, "Directory", &directory.Props{
		TableName: cfg.directoryTable(), ReplicaRegions: replicaRegions,
	})
	awscdk.NewCfnOutput(st, jsii.String("DirectoryTableName"), &awscdk.CfnOutputProps{Value: d.Directory.Table.TableName()})
	awscdk.NewCfnOutput(st, jsii.String("DirectoryRegions"), &awscdk.CfnOutputProps{
		Value: jsii.String(strings.Join(append([]string{cfg.Region}, replicaRegions...), ",")),
	})
	return d
}
