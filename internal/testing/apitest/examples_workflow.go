package apitest

// workflowExamples are the examples of projects' workflows and of moving
// issues between projects, on projects of their own (FLOW: its workflow is
// replaced; FLOWDEL: statuses deleted) so other examples keep the default
// workflow.
func (w *World) workflowExamples() map[string]Example {
	w.t.Helper()
	owner := w.As(exampleOwner)
	must := func(res *Response, want int) map[string]any {
		w.t.Helper()
		if res.Status != want {
			w.t.Fatalf("examples: %d %s", res.Status, res.Body)
		}
		return res.Map(w.t)
	}
	project := func(key string) string {
		return must(owner.Do("POST", "/v1/projects", map[string]any{"key": key, "name": key}), 201)["id"].(string)
	}
	flow, del := project("FLOW"), project("FLOWDEL")
	withExtra := func(extra ...map[string]any) map[string]any {
		ss := []any{
			map[string]any{"status": "open", "name": "Open", "category": "unstarted", "next": []string{"in_progress", "closed"}},
			map[string]any{"status": "in_progress", "name": "In Progress", "category": "started", "next": []string{"open", "closed"}},
			map[string]any{"status": "closed", "name": "Closed", "category": "completed", "color": "#4cb782", "next": []string{"open"}},
		}
		for _, e := range extra {
			ss = append(ss, e)
		}
		return map[string]any{"statuses": ss}
	}
	spare := func(id string) map[string]any {
		return map[string]any{"status": id, "name": "Spare " + id, "category": "started", "next": []string{}}
	}
	must(owner.Do("PUT", "/v1/projects/"+del+"/workflow", withExtra(spare("qa0"), spare("qa1"), spare("qa2"))), 200)
	must(owner.Do("POST", "/v1/projects/"+del+"/workflow/deletions", map[string]any{"status": "qa0"}), 200)
	moving := must(owner.Do("POST", "/v1/issues", map[string]any{"title": "moves between projects"}), 201)["id"].(string)
	return map[string]Example{
		"getProjectWorkflow": {Caller: exampleOwner},
		"updateProjectWorkflow": {Caller: exampleOwner, Path: "/v1/projects/" + flow + "/workflow",
			Body: withExtra(map[string]any{"status": "blocked", "name": "Blocked", "category": "started", "color": "#eb5757", "next": []string{"in_progress"}}),
			Alt:  withExtra(map[string]any{"status": "wont_do", "name": "Won't do", "category": "canceled", "next": []string{"open"}})},
		"deleteWorkflowStatus": {Caller: exampleOwner, Path: "/v1/projects/" + del + "/workflow/deletions",
			Body: map[string]any{"status": "qa1"}, Alt: map[string]any{"status": "qa2"}},
		"getWorkflowStatusDeletion": {Caller: exampleOwner, Path: "/v1/projects/" + del + "/workflow/deletions/qa0"},
		"moveIssue": {Caller: exampleOwner, Path: "/v1/issues/" + moving + "/move",
			Body: map[string]any{"project_id": "FLOWDEL"}, Alt: map[string]any{"project_id": "default"}},
	}
}
