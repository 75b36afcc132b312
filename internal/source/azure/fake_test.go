package azure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeARM is a local Azure Resource Manager serving the REST shapes of the
// calls the scanner makes, with faults to inject.
type fakeARM struct {
	t        testing.TB
	srv      *httptest.Server
	subs     []string
	servers  map[string][]map[string]any // subscription -> servers
	children map[string][]map[string]any // server id (lower) / child segment -> items
	extra    map[string]map[string]any   // lower id -> object (subnets, NSGs, keys, pricing)
	lists    map[string][]map[string]any // lower list path -> items (assignments, exemptions, vaults)
	pageSize int
	latency  time.Duration

	mu        sync.Mutex
	forbidden map[string]bool // subscription ids, or lower paths, answering 403
	throttle  map[string]int  // lower path -> 429s left
	fail      map[string]int  // lower path -> 500s left
	gone      map[string]bool // lower server ids deleted mid-scan
	noGraph   bool
	calls     atomic.Int64
	auth      map[string]bool // Authorization headers seen
}

func readTemplate(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func clone(m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// newFakeARM serves nSubs subscriptions of nServers servers each. Every
// third server is VNet-integrated (sharing one subnet per subscription),
// every fifth has a customer-managed key.
func newFakeARM(t testing.TB, nSubs, nServers int) *fakeARM {
	f := &fakeARM{t: t, servers: map[string][]map[string]any{}, children: map[string][]map[string]any{},
		extra: map[string]map[string]any{}, lists: map[string][]map[string]any{}, pageSize: 2,
		forbidden: map[string]bool{}, throttle: map[string]int{}, fail: map[string]int{}, gone: map[string]bool{}, auth: map[string]bool{}}
	public := readTemplate(t, "2025-08-01_ServersGet.json")
	vnet := readTemplate(t, "2024-08-01_ServerGetWithVnet.json")
	cfg := readTemplate(t, "2025-08-01_ConfigurationsGet.json")
	fw := readTemplate(t, "2024-08-01_FirewallRuleGet.json")
	adm := readTemplate(t, "2024-08-01_AdministratorGet.json")
	atp := readTemplate(t, "2024-08-01_ServerThreatProtectionSettingsGet.json")
	for s := 0; s < nSubs; s++ {
		sub := fmt.Sprintf("00000000-0000-0000-0000-%012d", s+1)
		f.subs = append(f.subs, sub)
		rgID := "/subscriptions/" + sub + "/resourceGroups/rg"
		subnetID := rgID + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pg"
		nsgID := rgID + "/providers/Microsoft.Network/networkSecurityGroups/pg-nsg"
		f.extra[strings.ToLower(subnetID)] = map[string]any{"id": subnetID, "name": "pg", "type": SubnetType,
			"properties": map[string]any{"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": map[string]any{"id": nsgID}}}
		f.extra[strings.ToLower(nsgID)] = map[string]any{"id": nsgID, "name": "pg-nsg", "type": NSGType, "location": "eastus",
			"properties": map[string]any{"securityRules": []any{map[string]any{"id": nsgID + "/securityRules/open", "name": "open",
				"properties": map[string]any{"direction": "Inbound", "access": "Allow", "priority": 100, "protocol": "Tcp",
					"sourceAddressPrefix": "Internet", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "5432"}}}}}
		vaultID := rgID + "/providers/Microsoft.KeyVault/vaults/kv" + strconv.Itoa(s)
		f.lists["/subscriptions/"+sub+"/providers/microsoft.keyvault/vaults"] = []map[string]any{{"id": vaultID, "name": "kv" + strconv.Itoa(s),
			"type": VaultType, "location": "eastus", "properties": map[string]any{"tenantId": "tttttttt-tttt-tttt-tttt-tttttttttttt",
				"sku": map[string]any{"family": "A", "name": "standard"}, "enablePurgeProtection": true, "enableSoftDelete": true}}}
		f.extra[strings.ToLower(vaultID+"/keys/cmk")] = map[string]any{"id": vaultID + "/keys/cmk", "name": "cmk", "type": KeyType,
			"properties": map[string]any{"kty": "RSA", "attributes": map[string]any{"enabled": true, "exp": 1893456000},
				"rotationPolicy": map[string]any{"attributes": map[string]any{"expiryTime": "P1Y"},
					"lifetimeActions": []any{map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P30D"}, "action": map[string]any{"type": "rotate"}}}}}}
		tier := "Free"
		if s%2 == 0 {
			tier = "Standard"
		}
		pricingID := "/subscriptions/" + sub + "/providers/Microsoft.Security/pricings/" + DefenderPlan
		f.extra[strings.ToLower(pricingID)] = map[string]any{"id": pricingID, "name": DefenderPlan, "type": PricingType,
			"properties": map[string]any{"pricingTier": tier}}
		if s%2 == 0 {
			aID := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/policyAssignments/SecurityCenterBuiltIn"
			f.lists["/subscriptions/"+sub+"/providers/microsoft.authorization/policyassignments"] = []map[string]any{{"id": aID,
				"name": "SecurityCenterBuiltIn", "type": AssignmentType, "properties": map[string]any{"displayName": "ASC Default",
					"scope": "/subscriptions/" + sub, "enforcementMode": "DoNotEnforce",
					"policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/" + MCSBInitiative}}}
			eID := rgID + "/providers/Microsoft.Authorization/policyExemptions/waive-ssl"
			f.lists["/subscriptions/"+sub+"/providers/microsoft.authorization/policyexemptions"] = []map[string]any{{"id": eID,
				"name": "waive-ssl", "type": ExemptionType, "properties": map[string]any{"policyAssignmentId": aID,
					"exemptionCategory": "Waiver", "policyDefinitionReferenceIds": []any{}}}}
		}
		for i := 0; i < nServers; i++ {
			name := fmt.Sprintf("pg-%d-%03d", s, i)
			id := rgID + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name
			base := public
			if i%3 == 1 {
				base = vnet
			}
			srv := clone(base)
			srv["id"], srv["name"] = id, name
			props := srv["properties"].(map[string]any)
			if i%3 == 1 {
				props["network"].(map[string]any)["delegatedSubnetResourceId"] = subnetID
				delete(props, "privateEndpointConnections") // listed instead
			}
			if i%5 == 4 {
				props["dataEncryption"] = map[string]any{"type": "AzureKeyVault",
					"primaryKeyURI":                 "https://kv" + strconv.Itoa(s) + ".vault.azure.net/keys/cmk/0123456789abcdef",
					"primaryUserAssignedIdentityId": rgID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"}
			}
			f.servers[sub] = append(f.servers[sub], srv)
			key := strings.ToLower(id)
			var cfgs []map[string]any
			for _, p := range [][2]string{{"array_nulls", "on"}, {"log_connections", "off"}, {"require_secure_transport", "on"}} {
				c := clone(cfg)
				c["id"], c["name"] = id+"/configurations/"+p[0], p[0]
				c["properties"].(map[string]any)["value"] = p[1]
				cfgs = append(cfgs, c)
			}
			f.children[key+"/configurations"] = cfgs
			r := clone(fw)
			r["id"] = id + "/firewallRules/examplefirewallrule"
			f.children[key+"/firewallrules"] = []map[string]any{r}
			a := clone(adm)
			a["id"] = id + "/administrators/oooooooo-oooo-oooo-oooo-oooooooooooo"
			f.children[key+"/administrators"] = []map[string]any{a}
			at := clone(atp)
			at["id"] = id + "/advancedThreatProtectionSettings/Default"
			f.children[key+"/advancedthreatprotectionsettings"] = []map[string]any{at}
			f.children[key+"/databases"] = []map[string]any{{"id": id + "/databases/app", "name": "app",
				"type": "Microsoft.DBforPostgreSQL/flexibleServers/databases", "properties": map[string]any{"charset": "UTF8", "collation": "en_US.utf8"}}}
			f.children[key+"/privateendpointconnections"] = []map[string]any{}
			f.children[key+"/providers/microsoft.insights/diagnosticsettings"] = []map[string]any{{
				"id": id + "/providers/Microsoft.Insights/diagnosticSettings/to-law", "name": "to-law", "type": "Microsoft.Insights/diagnosticSettings",
				"properties": map[string]any{"workspaceId": rgID + "/providers/Microsoft.OperationalInsights/workspaces/law",
					"logs": []any{map[string]any{"categoryGroup": "allLogs", "enabled": true}}}}}
		}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeARM) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	f.mu.Lock()
	f.auth[r.Header.Get("Authorization")] = true
	path := strings.ToLower(strings.TrimRight(r.URL.Path, "/"))
	if f.throttle[path] > 0 {
		f.throttle[path]--
		f.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		armError(w, http.StatusTooManyRequests, "TooManyRequests", "throttled")
		return
	}
	if f.fail[path] > 0 {
		f.fail[path]--
		f.mu.Unlock()
		armError(w, http.StatusInternalServerError, "InternalServerError", "try again")
		return
	}
	forbidden := f.forbidden[path]
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) >= 2 && segs[0] == "subscriptions" && f.forbidden[segs[1]] {
		forbidden = true
	}
	gone := false
	for id := range f.gone {
		if strings.HasPrefix(path, id+"/") {
			gone = true
		}
	}
	noGraph := f.noGraph
	f.mu.Unlock()
	if forbidden {
		armError(w, http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization to perform action")
		return
	}
	if gone {
		armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource was not found.")
		return
	}
	switch {
	case r.Method == http.MethodPost && path == "/providers/microsoft.resourcegraph/resources":
		if noGraph {
			armError(w, http.StatusNotFound, "NotFound", "no Resource Graph here")
			return
		}
		f.graph(w, r)
	case path == "/subscriptions":
		var subs []map[string]any
		for _, s := range f.subs {
			subs = append(subs, subscriptionBody(s))
		}
		f.page(w, r, subs)
	case len(segs) == 2 && segs[0] == "subscriptions":
		for _, s := range f.subs {
			if s == segs[1] {
				writeJSON(w, subscriptionBody(s))
				return
			}
		}
		armError(w, http.StatusNotFound, "SubscriptionNotFound", "no such subscription")
	case len(segs) == 4 && segs[2] == "providers" && segs[3] == "microsoft.dbforpostgresql", strings.HasSuffix(path, "/providers/microsoft.dbforpostgresql/flexibleservers"):
		var list []map[string]any
		for _, srv := range f.servers[segs[1]] {
			if strings.HasPrefix(strings.ToLower(idOf(srv)), strings.TrimSuffix(path, "/providers/microsoft.dbforpostgresql/flexibleservers")+"/") {
				list = append(list, srv)
			}
		}
		f.page(w, r, list)
	default:
		if obj, ok := f.extra[path]; ok {
			writeJSON(w, obj)
			return
		}
		if list, ok := f.lists[path]; ok {
			f.page(w, r, list)
			return
		}
		if len(segs) >= 5 && segs[2] == "providers" && (segs[4] == "policyassignments" || segs[4] == "policyexemptions" || segs[4] == "vaults") {
			f.page(w, r, nil)
			return
		}
		if i := strings.Index(path, "/flexibleservers/"); i > 0 {
			if list, ok := f.children[path]; ok {
				f.page(w, r, list)
				return
			}
		}
		armError(w, http.StatusNotFound, "ResourceNotFound", "no route "+path)
	}
}

func subscriptionBody(id string) map[string]any {
	return map[string]any{"id": "/subscriptions/" + id, "subscriptionId": id, "displayName": "sub " + id[len(id)-2:],
		"state": "Enabled", "tenantId": "tttttttt-tttt-tttt-tttt-tttttttttttt", "authorizationSource": "RoleBased"}
}

// page writes a REST list page with a nextLink ($skiptoken=offset).
func (f *fakeARM) page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	off, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(off+f.pageSize, len(items))
	if off > len(items) {
		off = len(items)
	}
	body := map[string]any{"value": append([]map[string]any{}, items[off:end]...)}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		body["nextLink"] = f.srv.URL + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, body)
}

// graph answers a Resource Graph query: the servers of the subscriptions
// asked for (minus forbidden ones), paged with $skipToken.
func (f *fakeARM) graph(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query         string   `json:"query"`
		Subscriptions []string `json:"subscriptions"`
		Options       struct {
			Top       int    `json:"$top"`
			SkipToken string `json:"$skipToken"`
		} `json:"options"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.Contains(req.Query, "microsoft.dbforpostgresql/flexibleservers") {
		armError(w, http.StatusBadRequest, "BadRequest", "bad query")
		return
	}
	var rows []map[string]any
	f.mu.Lock()
	for _, s := range req.Subscriptions {
		if f.forbidden[s] {
			continue
		}
		for _, srv := range f.servers[s] {
			row := clone(srv)
			row["type"] = "microsoft.dbforpostgresql/flexibleservers"
			row["resourceGroup"], row["subscriptionId"] = "rg", s
			rows = append(rows, row)
		}
	}
	f.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return idOf(rows[i]) < idOf(rows[j]) })
	off, _ := strconv.Atoi(req.Options.SkipToken)
	size := f.pageSize + 1
	end := min(off+size, len(rows))
	body := map[string]any{"totalRecords": len(rows), "count": end - off, "resultTruncated": "false", "data": rows[off:end]}
	if end < len(rows) {
		body["$skipToken"] = strconv.Itoa(end)
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func armError(w http.ResponseWriter, code int, ecode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-ms-error-code", ecode)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": ecode, "message": msg}})
}
