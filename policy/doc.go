// Package policy is an offline Azure Policy engine. It parses policy
// definitions, initiatives (policy set definitions), assignments and
// exemptions in the shapes Azure and az print, compiles each rule once, and
// evaluates it against ARM resources (package arm) with Azure's semantics.
//
// # Design
//
// ParseDefinition accepts {"properties": {...}}, the bare properties object
// or a bare {"if", "then"} rule and compiles the rule into a tree of nodes
// (allOf, anyOf, not, leaf). Everything that does not depend on the
// resource is done here, once:
//
//   - every field reference is classified (name, fullName, kind, type,
//     location, id, identity.type, identity.userAssignedIdentities, tags,
//     tags['x'] / tags.x / tags[x], an alias, or a raw properties.x path) and an alias is resolved to a
//     compiled JSON path (keys and [*] steps) through the built-in alias
//     table (aliases.go);
//   - right sides are literals (normalised: integral numbers are int64,
//     location literals folded), parameter references, field() of a
//     constant alias, or parsed expressions (package arm/expr) whose
//     functions and arities are validated against the policy library;
//   - like patterns are pre-compiled;
//   - the functions Azure disallows in rules (reference, resourceId,
//     variables, copyIndex, list*, newGuid, dateTimeAdd, ...) and the
//     documented limits (nesting 64, 4096 conditions in if, 128 in an
//     existence condition, 2048 functions, 10 value counts, 5 field counts
//     per array, strings of 131072 characters) are parse errors.
//
// Every parse error is a *ParseError naming the JSON path
// (properties.policyRule.if.allOf[1].equalz).
//
// Evaluation walks the tree with a pooled context: no JSON or expression is
// parsed and no map is built per condition. Parameter values are looked up
// (given value, else default) rather than copied.
//
// # Semantics
//
// The rules follow the Azure Policy documentation as summarised in the
// project's policy language reference, with Microsoft's regorus
// implementation for the cases the documentation leaves open:
//
//   - String comparisons fold case: property keys and aliases with ASCII
//     folding (OrdinalIgnoreCase), values (equals, in, contains, like,
//     less/greater) with full Unicode case folding, as the invariant
//     culture compares them: ß equals SS, ﬁ equals fi, Σ σ ς are one
//     letter (fold.go). "80" equals 80, "true" equals true, null
//     compares as "".
//   - A missing field: equals is false (true against null), notEquals is
//     true, in is false unless the list holds null, the negated operators
//     are true, the ordering operators false; exists is false for a missing
//     or null value. "true"/"false" strings and booleans both work for
//     exists.
//   - like takes one '*' (and '?' for one character); match and
//     matchInsensitively take '#' (digit), '?' (letter) and '.' (any).
//     contains is a substring test on strings, membership on arrays, a key
//     test on objects. less/greater compare numbers (numeric strings
//     coerced) and strings; mixed kinds are false.
//   - A [*] alias in a field condition is an implicit allOf: true on an
//     empty array, false on a missing one; nested [*] flattens; a non-array
//     is one missing element. The legacy metrics.enabled alias of
//     diagnostic settings is treated as metrics[*].enabled.
//   - count: field counts (missing array = 0) and value counts with name and
//     current(); inside where, the counted alias and the properties below it
//     read the current element, and field() of the counted alias returns a
//     one-element array. A value count iterates over at most 100 elements.
//   - resourceGroup() is the resource group as given among the related
//     resources; when it is not given, its location and tags are unknown
//     (its id and name come from the resource's id). Expressions inside
//     array and object operands (["[subscription().id]"]) are evaluated.
//   - A template function error fails the evaluation, which Azure treats as
//     a deny: the state is NonCompliant with Result.Err set.
//   - An arm.Unknown value (known only after deployment) makes a condition
//     unknown. Logic is Kleene's: a known decisive operand still decides,
//     so a rule gives Unknown only when its outcome depends on the unknown.
//     Refinements decide what they settle (refine.go): NotNull decides
//     exists; NonEmpty decides equals/notEquals/in/notIn against "" and
//     null, and like ""; Prefix also decides equals/in against strings
//     that do not start with it, like patterns whose literal start it
//     contradicts or that are the prefix (or part of it) followed by '*',
//     contains of a part of the prefix, and containsKey. The functions
//     empty, startsWith, contains and equals decide the same way on a
//     field() or current() argument. Refinements belong to the value
//     itself: a property below a refined object, or what any other
//     function computes from it, is unknown without them. A count over an
//     unknown array may be any number (at least one when it is known to
//     be non-empty and nothing filters it).
//
// # Effects and applicability
//
// Disabled is NotApplicable with no effect. Audit, Deny, Append and Modify
// give NonCompliant when the if holds (Append and Modify report their
// operations in Details), Compliant otherwise; for these effects only type,
// name and kind conditions decide applicability, the others being taken as
// true (false under a not), and a rule without a type condition applies to
// every resource. Manual gives details.defaultState (Unknown by default).
// DenyAction needs details.actionNames; it is Compliant on every resource
// it applies to, with its effect, actionNames and cascadeBehaviors
// (resourceGroup deny by default) in Details when the if holds, as Azure
// marks matching resources compliant (effect-deny-action.md). Mutate and
// AddToNetworkGroup are not compliance checks: NotApplicable. Mode Indexed evaluates the types that support tags and
// location: top-level types and tracked child types, not proxy child
// types, extension resources, resource groups or subscriptions.
// AuditIfNotExists and DeployIfNotExists: an if that does not hold is
// NotApplicable; otherwise the related resources of details.type are found
// through Env.Related (children of the resource, extension resources such as
// diagnostic settings, the resource group or resourceGroupName, or the
// subscription with existenceScope Subscription or for a type that lives
// at subscription scope, such as Microsoft.Security/pricings), filtered by
// details.name
// (an expression; "parent/?" keeps all), and the existence condition is
// evaluated on each: any that holds is Compliant, none is NonCompliant with
// Azure's reason "No related resources match the effect details in the
// policy definition.". A candidate that may not exist (arm.Resource
// MaybeAbsent) cannot make the check Compliant: when only such candidates
// hold, the state is Unknown, naming why the candidate may not exist. When
// none holds and Env.Related implements Unseen with an arm.Unresolved
// where the check looks (the resource's id for children and extensions;
// the resource group's or subscription's id, including anything under
// it, for those scopes), the state is Unknown with its reason, not
// NonCompliant. The evaluated resource itself is judged as written,
// MaybeAbsent or not. Inside the existence condition a field condition
// reads the related resource, and the field() function the evaluated
// resource, except for an alias of the related resource's type
// (effect-audit-if-not-exists.md). An alias that is not valid (not in a loaded catalog that
// covers its type, or not an alias at all) makes the policy NotApplicable
// with a warning in Details.
//
// # Aliases
//
// The built-in table covers every alias the embedded built-ins use.
// LoadAliases reads a provider alias catalog (az provider list --expand
// resourceTypes/aliases) with per-API-version paths; Env.APIVersion (or the
// resource's apiVersion) picks the path. requestContext().apiVersion is
// that API version, else the latest stable one the catalog lists for the
// type, else the latest known for the type (apiversions.go); never "".
// Aliases are looked up per resource type: a catalog's alias belongs to the
// types it is listed under, whatever its name's prefix
// (Microsoft.Compute/imageId reads a different path on virtual machines
// and on scale sets), and reads nothing on other types. An alias found in
// neither resolves, on the type its name starts with, by the documented
// fallback: the part after the resource type, under properties.
//
// # Initiatives, assignments, exemptions
//
// LoadFiles reads files and directories and detects each document's kind by
// content; Collection.Evaluations expands assignments (definition or
// initiative; initiative parameters mapped onto members' parameters through
// their "[parameters('x')]" expressions; allowed values checked;
// definitionVersion pins checked against the loaded version) into
// Evaluations. Evaluation.Evaluate applies the assignment's scope,
// notScopes and resource selectors (NotApplicable outside them), its
// policyEffect overrides (with policyDefinitionReferenceId selectors), and
// its exemptions: an exemption (Waiver or Mitigated) in force on the
// resource's scope makes the state Exempt, the evaluated state being kept
// in Details; an expired exemption is not honoured. enforcementMode
// DoNotEnforce does not change compliance.
package policy
