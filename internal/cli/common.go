package cli

import (
	"strings"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/schema"
)

func providerList() string { return strings.Join(providers.Names(), ", ") }

// loadSchemas compiles the embedded schemas; a broken one is a configuration error.
func loadSchemas() (*schema.Registry, error) {
	reg, err := schema.Embedded()
	if err != nil {
		return nil, exit.Usagef("schemas: %v", err)
	}
	return reg, nil
}

func loadCatalogue() (*catalogue.Catalogue, error) {
	c, err := catalogue.Load()
	if err != nil {
		return nil, exit.Usagef("%v", err)
	}
	return c, nil
}

// faultFlags reads the repeatable --fault PROVIDER:KIND[:every=N|first=N|percent=P][:seed=S][:delay=D][:op=OP]
// into each provider's faults, each checked for its provider.
func faultFlags(cmd string, values []string) (map[string][]mock.Fault, error) {
	out := map[string][]mock.Fault{}
	for _, v := range values {
		name, spec, ok := strings.Cut(v, ":")
		if !ok || spec == "" {
			return nil, exit.Usagef("%s: --fault %q: want PROVIDER:KIND[:first=N|every=N|percent=P][:seed=S][:delay=D][:op=OPERATION], e.g. pomelo:429:first=2", cmd, v)
		}
		if _, err := providers.Lookup(name); err != nil {
			return nil, exit.Usagef("%s: --fault %q: %v", cmd, v, err)
		}
		f, err := mock.ParseFault(spec)
		if err == nil {
			err = f.Check(name)
		}
		if err != nil {
			return nil, exit.Usagef("%s: --fault %q: %v", cmd, v, err)
		}
		out[name] = append(out[name], f)
	}
	return out, nil
}
