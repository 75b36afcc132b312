package azure

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v8"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers/v5"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
)

// listAll follows a pager to its end and converts every item to the ARM
// JSON shape.
func listAll[R any, T any](ctx context.Context, p *runtime.Pager[R], items func(R) []*T) ([]map[string]any, error) {
	var out []map[string]any
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, it := range items(page) {
			if it == nil {
				continue
			}
			m, err := toMap(it)
			if err != nil {
				return out, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// childRead is one list call about a server.
type childRead struct {
	typ, what string
	list      func(ctx context.Context, rg, name string) ([]map[string]any, error)
}

// serverClients are the SDK clients of one subscription.
type serverClients struct {
	reads []childRead
	pec   childRead
}

func (s *scanner) clientsFor(sub string) (*serverClients, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[strings.ToLower(sub)]; c != nil {
		return c, nil
	}
	cfg, err := pg.NewConfigurationsClient(sub, s.cred, s.copts)
	if err != nil {
		return nil, err
	}
	fw, _ := pg.NewFirewallRulesClient(sub, s.cred, s.copts)
	adm, _ := pg.NewAdministratorsMicrosoftEntraClient(sub, s.cred, s.copts)
	atp, _ := pg.NewAdvancedThreatProtectionSettingsClient(sub, s.cred, s.copts)
	db, _ := pg.NewDatabasesClient(sub, s.cred, s.copts)
	pec, _ := pg.NewPrivateEndpointConnectionsClient(sub, s.cred, s.copts)
	c := &serverClients{reads: []childRead{
		{flexserver.ConfigurationType, "the server parameters (configurations)", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
			return listAll(ctx, cfg.NewListByServerPager(rg, n, nil), func(r pg.ConfigurationsClientListByServerResponse) []*pg.Configuration { return r.Value })
		}},
		{flexserver.FirewallRuleType, "the firewall rules", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
			return listAll(ctx, fw.NewListByServerPager(rg, n, nil), func(r pg.FirewallRulesClientListByServerResponse) []*pg.FirewallRule { return r.Value })
		}},
		{flexserver.AdministratorType, "the Microsoft Entra administrators", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
			return listAll(ctx, adm.NewListByServerPager(rg, n, nil), func(r pg.AdministratorsMicrosoftEntraClientListByServerResponse) []*pg.AdministratorMicrosoftEntra {
				return r.Value
			})
		}},
		{flexserver.ThreatProtectionType, "the advanced threat protection settings", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
			return listAll(ctx, atp.NewListByServerPager(rg, n, nil), func(r pg.AdvancedThreatProtectionSettingsClientListByServerResponse) []*pg.AdvancedThreatProtectionSettingsModel {
				return r.Value
			})
		}},
		{flexserver.DatabaseType, "the databases", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
			return listAll(ctx, db.NewListByServerPager(rg, n, nil), func(r pg.DatabasesClientListByServerResponse) []*pg.Database { return r.Value })
		}},
	}, pec: childRead{flexserver.PrivateEndpointConnType, "the private endpoint connections", func(ctx context.Context, rg, n string) ([]map[string]any, error) {
		return listAll(ctx, pec.NewListByServerPager(rg, n, nil), func(r pg.PrivateEndpointConnectionsClientListByServerResponse) []*pg.PrivateEndpointConnection {
			return r.Value
		})
	}}}
	s.clients[strings.ToLower(sub)] = c
	return c, nil
}

// serverRead collects what was read about one server, committed to the
// subscription only if the server still exists.
type serverRead struct {
	mu       sync.Mutex
	objs     []map[string]any
	hidden   []hiddenRead
	gone     bool
	notFound string
}

type hiddenRead struct {
	about     map[string]any
	typ, what string
	err       error
}

func (sr *serverRead) add(objs []map[string]any) {
	sr.mu.Lock()
	sr.objs = append(sr.objs, objs...)
	sr.mu.Unlock()
}

func (sr *serverRead) hide(about map[string]any, typ, what string, err error) {
	sr.mu.Lock()
	sr.hidden = append(sr.hidden, hiddenRead{about, typ, what, err})
	sr.mu.Unlock()
}

// readServer reads a server's children, its diagnostic settings, its
// network and its customer-managed key, in parallel.
func (s *scanner) readServer(ctx context.Context, ss *subScan, srv map[string]any) {
	id := idOf(srv)
	parsed, _ := arm.ParseID(id)
	rg, name := parsed.ResourceGroup, ""
	if len(parsed.Names) > 0 {
		name = parsed.Names[0]
	}
	sr := &serverRead{}
	clients, err := s.clientsFor(ss.id)
	if err != nil {
		ss.errorf("%v", err)
		return
	}
	reads := append([]childRead{}, clients.reads...)
	if _, embedded := arm.GetPath(srv, "properties.privateEndpointConnections"); !embedded {
		reads = append(reads, clients.pec)
	}
	var wg sync.WaitGroup
	for _, cr := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			objs, err := cr.list(ctx, rg, name)
			switch {
			case err == nil:
				sr.add(objs)
			case isGone(err):
				sr.mu.Lock()
				sr.gone = true
				sr.mu.Unlock()
			default:
				sr.hide(srv, cr.typ, cr.what, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		objs, err := s.diagnosticSettings(ctx, id)
		switch {
		case err == nil:
			sr.add(objs)
		case isGone(err):
			sr.mu.Lock()
			sr.gone = true
			sr.mu.Unlock()
		default:
			sr.hide(srv, flexserver.DiagnosticSettingsType, "the diagnostic settings", err)
		}
	}()
	if subnet, _ := arm.GetPath(srv, "properties.network.delegatedSubnetResourceId"); subnet != nil {
		if sid, _ := subnet.(string); sid != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.readNetwork(ctx, sr, srv, sid)
			}()
		}
	}
	if uri, _ := arm.GetPath(srv, "properties.dataEncryption.primaryKeyURI"); uri != nil {
		if u, _ := uri.(string); u != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.readKey(ctx, sr, ss.id, srv, u)
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	if sr.gone {
		s.note("server %s was deleted during the scan and is left out", id)
		return
	}
	ss.add(srv)
	ss.add(sr.objs...)
	for _, h := range sr.hidden {
		ss.hidden(h.about, h.typ, h.what, h.err)
	}
}

func (s *scanner) diagnosticSettings(ctx context.Context, id string) ([]map[string]any, error) {
	client, err := armmonitor.NewDiagnosticSettingsClient(s.cred, s.copts)
	if err != nil {
		return nil, err
	}
	return listAll(ctx, client.NewListPager(strings.TrimPrefix(id, "/"), nil), func(r armmonitor.DiagnosticSettingsClientListResponse) []*armmonitor.DiagnosticSettingsResource {
		return r.Value
	})
}

// readNetwork reads the delegated subnet and its network security group,
// each once per scan however many servers share them.
func (s *scanner) readNetwork(ctx context.Context, sr *serverRead, srv map[string]any, subnetID string) {
	p, ok := arm.ParseID(subnetID)
	if !ok || len(p.Names) < 2 {
		return
	}
	objs, err := s.shared("subnet:"+subnetID, func() ([]map[string]any, error) {
		c, err := armnetwork.NewSubnetsClient(p.Subscription, s.cred, s.copts)
		if err != nil {
			return nil, err
		}
		resp, err := c.Get(ctx, p.ResourceGroup, p.Names[0], p.Names[1], nil)
		if err != nil {
			return nil, err
		}
		m, err := toMap(resp.Subnet)
		if err != nil {
			return nil, err
		}
		if _, ok := m["type"]; !ok {
			m["type"] = SubnetType
		}
		return []map[string]any{m}, nil
	})
	if err != nil {
		if !isGone(err) {
			sr.hide(srv, SubnetType, "the delegated subnet "+subnetID, err)
		}
		return
	}
	sr.add(objs)
	nsg, _ := arm.GetPath(objs[0], "properties.networkSecurityGroup.id")
	nsgID, _ := nsg.(string)
	np, ok := arm.ParseID(nsgID)
	if nsgID == "" || !ok || len(np.Names) < 1 {
		return
	}
	nobjs, err := s.shared("nsg:"+nsgID, func() ([]map[string]any, error) {
		c, err := armnetwork.NewSecurityGroupsClient(np.Subscription, s.cred, s.copts)
		if err != nil {
			return nil, err
		}
		resp, err := c.Get(ctx, np.ResourceGroup, np.Names[0], nil)
		if err != nil {
			return nil, err
		}
		m, err := toMap(resp.SecurityGroup)
		if err != nil {
			return nil, err
		}
		return []map[string]any{m}, nil
	})
	if err != nil {
		if !isGone(err) {
			sr.hide(srv, NSGType, "the network security group "+nsgID, err)
		}
		return
	}
	sr.add(nobjs)
}

// readKey reads the Key Vault and key of a customer-managed key: the
// management-plane key carries its rotation policy and expiry. The vault
// is looked for in the server's subscription.
func (s *scanner) readKey(ctx context.Context, sr *serverRead, sub string, srv map[string]any, keyURI string) {
	u, err := url.Parse(keyURI)
	if err != nil {
		return
	}
	vaultName := strings.SplitN(u.Hostname(), ".", 2)[0]
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if vaultName == "" || len(segs) < 2 || !strings.EqualFold(segs[0], "keys") {
		return
	}
	keyName := segs[1]
	vaults, err := s.shared("vaults:"+sub, func() ([]map[string]any, error) {
		c, err := armkeyvault.NewVaultsClient(sub, s.cred, s.copts)
		if err != nil {
			return nil, err
		}
		return listAll(ctx, c.NewListBySubscriptionPager(nil), func(r armkeyvault.VaultsClientListBySubscriptionResponse) []*armkeyvault.Vault { return r.Value })
	})
	if err != nil {
		sr.hide(srv, VaultType, "the Key Vaults of the subscription (for the customer-managed key)", err)
		return
	}
	var vault map[string]any
	for _, v := range vaults {
		if n, _ := v["name"].(string); strings.EqualFold(n, vaultName) {
			vault = v
			break
		}
	}
	if vault == nil {
		s.note("the Key Vault %s of server %s is not in its subscription; its key's rotation policy and expiry were not read", vaultName, idOf(srv))
		return
	}
	sr.add([]map[string]any{vault})
	vp, _ := arm.ParseID(idOf(vault))
	keys, err := s.shared("key:"+idOf(vault)+"/"+keyName, func() ([]map[string]any, error) {
		c, err := armkeyvault.NewKeysClient(vp.Subscription, s.cred, s.copts)
		if err != nil {
			return nil, err
		}
		resp, err := c.Get(ctx, vp.ResourceGroup, vaultName, keyName, nil)
		if err != nil {
			return nil, err
		}
		m, err := toMap(resp.Key)
		if err != nil {
			return nil, err
		}
		return []map[string]any{m}, nil
	})
	if err != nil {
		if !isGone(err) {
			sr.hide(srv, KeyType, "the Key Vault key "+vaultName+"/"+keyName, err)
		}
		return
	}
	sr.add(keys)
}
