// The native reference for keygate's benchmark: parses every Terraform file under a directory with
// hashicorp/hcl v2, the parser Terraform, tflint and terraform-config-inspect use, and prints one
// JSON line with the wall time of the parse alone (files are read into memory first).
//
// Built by scripts/bench/native.mjs when a Go toolchain and hcl v2 are available (on Debian:
// apt-get install golang-go golang-github-hashicorp-hcl-v2-dev); it is not part of keygate.
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

type source struct {
	name string
	text []byte
}

func parse(s source) hcl.Diagnostics {
	if strings.HasSuffix(s.name, ".json") {
		_, diags := hcljson.Parse(s.text, s.name)
		return diags
	}
	_, diags := hclsyntax.ParseConfig(s.text, s.name, hcl.InitialPos)
	return diags
}

func main() {
	root := os.Args[1]
	var sources []source
	bytes := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".terraform") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".tf") || strings.HasSuffix(path, ".tofu") || strings.HasSuffix(path, ".tf.json")) {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sources = append(sources, source{path, text})
		bytes += len(text)
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	started := time.Now()
	errors := 0
	for _, s := range sources {
		if parse(s).HasErrors() {
			errors++
		}
	}
	sequential := time.Since(started)

	started = time.Now()
	work := make(chan source)
	var wg sync.WaitGroup
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				parse(s)
			}
		}()
	}
	for _, s := range sources {
		work <- s
	}
	close(work)
	wg.Wait()
	parallel := time.Since(started)

	out, _ := json.Marshal(map[string]any{
		"files": len(sources), "bytes": bytes, "errors": errors,
		"sequentialMs": sequential.Seconds() * 1000, "parallelMs": parallel.Seconds() * 1000,
		"cores": runtime.NumCPU(),
	})
	fmt.Println(string(out))
}
