package devstack_test

import "github.com/issuetracker/issuetracker/internal/schema"

func schemaNames(prefix string) schema.Names { return schema.Names{Prefix: prefix} }
