package azure

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/jsonpos"
	"github.com/pgbaseline/pgbaseline/verdict"
)

// SnapshotKind marks a snapshot document.
const SnapshotKind = "pgbaseline-azure-snapshot"

// A snapshot is one JSON document:
//
//	{
//	  "value": [ARM resources],
//	  "pgbaseline": {"kind": "pgbaseline-azure-snapshot", "version": 1,
//	                 "subscriptions": [{"location": "/subscriptions/<id>",
//	                     "errors": ["..."], "findings": [{...}]}], "notes": ["..."]}
//	}
//
// "value" holds every resource read, each once, in the REST shape:
// subscriptions, Defender plans, policy assignments and exemptions
// (types Microsoft.Authorization/policyAssignments and policyExemptions),
// servers and their children, diagnostic settings, subnets, network
// security groups, Key Vaults and keys. source/armexport reads it as it is.
// ReadSnapshot (registered as a load.DocumentReader) reads it back with the
// errors and access findings, so that scanning the file gives the results
// the live scan gave. The policy loader (policy.Collection.Add) reads each
// assignment and exemption object of "value"; Policies extracts them.
type snapshot struct {
	Value []map[string]any `json:"value"`
	Meta  snapshotMeta     `json:"pgbaseline"`
}

type snapshotMeta struct {
	Kind          string        `json:"kind"`
	Version       int           `json:"version"`
	Subscriptions []snapshotSub `json:"subscriptions"`
	Notes         []string      `json:"notes,omitempty"`
}

type snapshotSub struct {
	Location string            `json:"location"`
	Errors   []string          `json:"errors,omitempty"`
	Findings []snapshotFinding `json:"findings,omitempty"`
}

type snapshotFinding struct {
	RuleID       string         `json:"ruleId"`
	Status       verdict.Status `json:"status"`
	ResourceID   string         `json:"resourceId"`
	ResourceType string         `json:"resourceType"`
	ResourceName string         `json:"resourceName"`
	Message      string         `json:"message"`
	Evidence     map[string]any `json:"evidence,omitempty"`
}

// WriteSnapshot writes everything r holds as a snapshot document.
func WriteSnapshot(w io.Writer, r *Result) error {
	snap := snapshot{Value: []map[string]any{}, Meta: snapshotMeta{Kind: SnapshotKind, Version: 1, Notes: r.Notes}}
	seen := map[string]bool{}
	for _, in := range r.Inputs {
		sub := snapshotSub{Location: in.Location}
		for _, res := range in.Resources {
			if key := arm.Normalize(res.ID); !seen[key] {
				seen[key] = true
				snap.Value = append(snap.Value, res.Object)
			}
		}
		for _, e := range in.Errors {
			sub.Errors = append(sub.Errors, e.Msg)
		}
		for _, f := range in.Findings {
			sf := snapshotFinding{RuleID: f.RuleID, Status: f.Status, Message: f.Message, Evidence: f.Evidence}
			if f.Resource != nil {
				sf.ResourceID, sf.ResourceType, sf.ResourceName = f.Resource.ID, f.Resource.Type, f.Resource.Name
			}
			sub.Findings = append(sub.Findings, sf)
		}
		snap.Meta.Subscriptions = append(snap.Meta.Subscriptions, sub)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(snap); err != nil {
		return fmt.Errorf("azure snapshot: %w", err)
	}
	return nil
}

// IsSnapshot reports whether a decoded document is a snapshot.
func IsSnapshot(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	meta, _ := m["pgbaseline"].(map[string]any)
	kind, _ := meta["kind"].(string)
	return kind == SnapshotKind
}

// ReadSnapshot reads a snapshot written by WriteSnapshot as one input of
// kind "azure" located at the file: the resources with their file and
// line, the errors (naming the subscription they came from) and the access
// findings. It has the signature of load.DocumentReader and answers false
// for any other document.
func ReadSnapshot(name string, data []byte, doc any, idx *jsonpos.Index) (*source.Input, bool) {
	if !IsSnapshot(doc) {
		return nil, false
	}
	in := &source.Input{Kind: source.KindAzure, Location: name}
	in.Resources = armexport.FromDocument(name, doc, idx)
	byID := map[string]*arm.Resource{}
	for _, r := range in.Resources {
		byID[arm.Normalize(r.ID)] = r
	}
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		in.Errors = append(in.Errors, &source.Error{File: name, Path: "pgbaseline", Msg: "invalid snapshot: " + err.Error()})
		return in, true
	}
	if snap.Meta.Version != 1 {
		in.Errors = append(in.Errors, &source.Error{File: name, Path: "pgbaseline.version",
			Msg: fmt.Sprintf("snapshot version %d is not supported (this pgbaseline reads version 1)", snap.Meta.Version)})
		return in, true
	}
	for i, sub := range snap.Meta.Subscriptions {
		for _, msg := range sub.Errors {
			in.Errors = append(in.Errors, &source.Error{File: name, Path: fmt.Sprintf("pgbaseline.subscriptions[%d]", i),
				Msg: sub.Location + ": " + msg})
		}
		for _, sf := range sub.Findings {
			f := source.Finding{RuleID: sf.RuleID, Status: sf.Status, Message: sf.Message, Evidence: sf.Evidence}
			if r := byID[arm.Normalize(sf.ResourceID)]; r != nil {
				f.Resource = r
			} else if sf.ResourceID != "" {
				f.Resource = arm.New(map[string]any{"id": sf.ResourceID, "type": sf.ResourceType, "name": sf.ResourceName}, arm.Origin{File: name})
			}
			in.Findings = append(in.Findings, f)
		}
	}
	sort.SliceStable(in.Findings, func(i, j int) bool {
		a, b := in.Findings[i], in.Findings[j]
		if a.Resource != nil && b.Resource != nil && !strings.EqualFold(a.Resource.ID, b.Resource.ID) {
			return a.Resource.ID < b.Resource.ID
		}
		return a.Message < b.Message
	})
	markRefused(in, false)
	return in, true
}
