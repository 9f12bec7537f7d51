package cli

import (
	"strings"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
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
