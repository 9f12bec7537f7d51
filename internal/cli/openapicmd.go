package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/openapi"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/schemas"
)

const openapiHelp = `Usage: conformance openapi [--out DIR] [--provider NAME]... [--check]

Writes each provider's contract as an OpenAPI 3.1 document, DIR/<provider>.openapi.json (DIR is
openapi/ by default), from the sources the harness judges by: every documented operation with its path
parameters, JSON and multipart request bodies and every documented answer status with its schema
(schemas/<provider>, draft-07 read as 2020-12: "definitions" become "$defs"), the security scheme as
faithfully as OpenAPI allows (BaaS's per-call signature described in x-signing-schemes), the catalogue
IDs of each operation and schema (x-catalogue-ids) and the documentation findings that touch an
operation (x-findings). Take it to Prism, Redocly or a code generator; the harness stays the judge.

--check writes nothing and exits 1 when a file in DIR differs from what would be written (the
repository's openapi/ is kept in step this way).

Exit codes: 0; 1 for --check with a file out of step; 2 for a bad flag, an unknown provider or a
directory that cannot be written.
`

func openapiCmd(_ context.Context, args []string, stdout, _ io.Writer, _ Env) error {
	flags := newFlags("openapi", openapiHelp, stdout)
	out := flags.flags.String("out", "openapi", "write the documents to `DIR`")
	var only []string
	flags.flags.StringArrayVar(&only, "provider", nil, "only this provider's document (`NAME`; repeatable)")
	check := flags.flags.Bool("check", false, "write nothing; exit 1 if a document in DIR is out of step")
	if err := parse(flags, args); err != nil {
		return err
	}
	reg, err := schema.Embedded()
	if err != nil {
		return exit.Usagef("openapi: %v", err)
	}
	cat, err := loadCatalogue()
	if err != nil {
		return err
	}
	names := reg.Providers()
	for _, p := range only {
		if len(reg.Operations(p)) == 0 {
			return exit.Usagef("openapi: --provider %q: want one of %s", p, strings.Join(names, ", "))
		}
	}
	if len(only) > 0 {
		names = only
	}
	src := openapi.Sources{Schemas: schemas.FS, Registry: reg, Catalogue: cat, Features: features.FS}
	var stale []string
	for _, p := range names {
		doc, err := openapi.JSON(src, p)
		if err != nil {
			return exit.Usagef("openapi: %v", err)
		}
		file := filepath.Join(*out, p+".openapi.json")
		if *check {
			if have, err := os.ReadFile(file); err != nil || !bytes.Equal(have, doc) {
				stale = append(stale, file)
			}
			continue
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return exit.Usagef("openapi: --out %s: %v", *out, err)
		}
		if err := writeFileAtomic(file, doc, 0o644); err != nil {
			return exit.Usagef("openapi: %s: %v", file, err)
		}
		fmt.Fprintf(stdout, "%s (%d operations)\n", file, len(reg.Operations(p)))
	}
	if len(stale) > 0 {
		return &exit.Error{Code: exit.Failed, Err: fmt.Errorf("openapi: out of step with the sources: %s (run 'conformance openapi --out %s')", strings.Join(stale, ", "), *out)}
	}
	return nil
}
