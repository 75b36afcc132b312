package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/jsonpos"
	"github.com/pgbaseline/pgbaseline/policy"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with Azure Policy definitions offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("policy: name a subcommand (for example: pgbaseline policy eval --definition def.json --resource server.json)")
		},
	}
	cmd.AddCommand(newPolicyEvalCmd())
	return cmd
}

type policyEvalFlags struct {
	definition, resource, params, aliases, apiVersion string
	related                                           []string
}

func newPolicyEvalCmd() *cobra.Command {
	var f policyEvalFlags
	cmd := &cobra.Command{
		Use:   "eval --definition FILE --resource FILE [--related FILE ...] [--params FILE] [--aliases FILE] [--api-version VERSION]",
		Short: "Evaluate one Azure Policy definition against one resource",
		Long: `Evaluate one Azure Policy definition against one resource, with Azure's
semantics, and print the verdict as JSON:

  {"applicable": bool, "effect": "<effect as written>" | null,
   "complianceState": "Compliant" | "NonCompliant" | "NotApplicable",
   "reason": "...", "details": {...}, "evidence": [...]}

The definition may be {"properties": {...}} as Azure returns it, the bare
properties object, or a bare {"if": ..., "then": ...} rule. --related takes a
JSON array of resources: the candidates of AuditIfNotExists and
DeployIfNotExists lookups. --params takes {"name": value} or the assignment
shape {"name": {"value": v}}. --aliases takes a provider alias catalog as
"az provider list --expand resourceTypes/aliases" prints.

Exit codes: 0 when the definition was evaluated, whatever the verdict; 2 for an
invalid definition or input.`,
		Example: `  pgbaseline policy eval --definition pna.json --resource server.json
  pgbaseline policy eval --definition ssl.json --resource server.json --related configurations.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyEval(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.definition, "definition", "", "policy definition `FILE` (required)")
	fl.StringVar(&f.resource, "resource", "", "resource `FILE`: one ARM resource object (required)")
	fl.StringArrayVar(&f.related, "related", nil, "related resources `FILE`: a JSON array of resources (repeatable)")
	fl.StringVar(&f.params, "params", "", "parameter values `FILE`")
	fl.StringVar(&f.aliases, "aliases", "", "provider alias catalog `FILE` (extends the built-in alias table)")
	fl.StringVar(&f.apiVersion, "api-version", "", "API `VERSION` that selects per-version alias paths")
	return cmd
}

// policyEvalOutput is the JSON the command prints.
type policyEvalOutput struct {
	Applicable      bool             `json:"applicable"`
	Effect          *string          `json:"effect"`
	ComplianceState string           `json:"complianceState"`
	Reason          string           `json:"reason"`
	Details         map[string]any   `json:"details"`
	Evidence        []policyEvidence `json:"evidence,omitempty"`
	Error           string           `json:"error,omitempty"`
}

type policyEvidence struct {
	ResourceID string `json:"resourceId,omitempty"`
	Path       string `json:"path,omitempty"`
	Field      string `json:"field,omitempty"`
	Operator   string `json:"operator,omitempty"`
	Value      any    `json:"value"`
	Expected   any    `json:"expected"`
	Missing    bool   `json:"missing,omitempty"`
}

func runPolicyEval(cmd *cobra.Command, f policyEvalFlags) error {
	if f.definition == "" {
		return usageError("policy eval: --definition FILE is required")
	}
	if f.resource == "" {
		return usageError("policy eval: --resource FILE is required")
	}
	data, err := os.ReadFile(f.definition)
	if err != nil {
		return usageError("--definition: %v", err)
	}
	def, err := policy.ParseDefinition(data)
	if err != nil {
		return usageError("--definition %s: %v", f.definition, err)
	}
	resources, err := readResources(f.resource)
	if err != nil {
		return usageError("--resource %v", err)
	}
	if len(resources) != 1 {
		return usageError("--resource %s: expected one resource object, found %d", f.resource, len(resources))
	}
	res := resources[0]
	set := arm.NewSet(res)
	for _, file := range f.related {
		rs, err := readResources(file)
		if err != nil {
			return usageError("--related %v", err)
		}
		for _, r := range rs {
			set.Add(r)
		}
	}
	env := &policy.Env{Related: set, APIVersion: f.apiVersion}
	if f.params != "" {
		data, err := os.ReadFile(f.params)
		if err != nil {
			return usageError("--params: %v", err)
		}
		if env.Params, err = policy.ParseParams(data); err != nil {
			return usageError("--params %s: %v", f.params, err)
		}
		if err := def.CheckParams(env.Params); err != nil {
			return usageError("--params %s: %v", f.params, err)
		}
	} else if missing := def.MissingParameters(nil); len(missing) > 0 {
		return usageError("policy eval: the definition's parameters %v have no default; give their values with --params FILE", missing)
	}
	if f.aliases != "" {
		data, err := os.ReadFile(f.aliases)
		if err != nil {
			return usageError("--aliases: %v", err)
		}
		if env.Aliases, err = policy.LoadAliases(data); err != nil {
			return usageError("--aliases %s: %v", f.aliases, err)
		}
	}
	result := def.Evaluate(res, env)
	if result.State == policy.Error {
		return usageError("policy eval: %v", result.Err)
	}
	out := policyEvalOutput{Applicable: result.Applicable, ComplianceState: string(result.State), Reason: result.Reason, Details: result.Details}
	if result.Effect != "" {
		e := result.Effect
		out.Effect = &e
	}
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	for _, e := range result.Evidence {
		out.Evidence = append(out.Evidence, policyEvidence{ResourceID: e.ResourceID, Path: e.Path, Field: e.Field,
			Operator: e.Operator, Value: e.Value, Expected: e.Expected, Missing: e.Missing})
	}
	if result.Err != nil {
		out.Error = result.Err.Error()
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// readResources reads a resource file: one resource object, an array of
// them, {"value": [...]} as az and the REST API print, or a REST spec
// example (its 200 response body). Errors name the file and the JSON path.
func readResources(file string) ([]*arm.Resource, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	doc, idx, err := jsonpos.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var items []any
	prefix := ""
	switch v := doc.(type) {
	case []any:
		items = v
	case map[string]any:
		switch {
		case v["value"] != nil && v["id"] == nil:
			list, ok := v["value"].([]any)
			if !ok {
				return nil, fmt.Errorf("%s: value: expected an array of resources", file)
			}
			items, prefix = list, "value"
		case v["responses"] != nil:
			resp, _ := v["responses"].(map[string]any)
			ok200, _ := resp["200"].(map[string]any)
			body, ok := ok200["body"].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: responses: no 200 response body", file)
			}
			items = []any{body}
		default:
			items = []any{v}
		}
	default:
		return nil, fmt.Errorf("%s: expected a resource object or an array of resources", file)
	}
	var out []*arm.Resource
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s[%d]: expected a resource object", file, prefix, i)
		}
		r := arm.New(m, arm.Origin{File: file}).WithPositions(idx)
		if r.Type == "" {
			return nil, fmt.Errorf("%s: %s[%d].type: a resource needs a type", file, prefix, i)
		}
		out = append(out, r)
	}
	return out, nil
}
