package crmgen

import (
	"bytes"
	"os"
	"testing"
)

// sampleConfig is the list examples/import embeds as customers.csv.
var sampleConfig = Config{Entities: 1400, Seed: 3}

// TestExampleSample checks that examples/import/customers.csv is this
// generator's list for sampleConfig. Rewrite it with
//
//	CRMGEN_WRITE_SAMPLE=1 go test ./internal/crmgen -run ExampleSample
func TestExampleSample(t *testing.T) {
	const path = "../../examples/import/customers.csv"
	var want bytes.Buffer
	if err := WriteCSV(&want, Generate(sampleConfig)); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("CRMGEN_WRITE_SAMPLE") != "" {
		if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s is not the generated list of %+v: rewrite it (see the test's comment)", path, sampleConfig)
	}
}
