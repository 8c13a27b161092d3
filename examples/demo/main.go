// Command demo is the application of gomodbot's README quick start. It prints the version
// of each module it uses, so an upgrade shows in its output.
package main

import (
	"fmt"

	"example.com/color"
	"example.com/greet"
	"example.com/local"
	"example.com/nightly"
	"example.com/oldlog"
	"gopkg.in/inifile.v2"
)

func main() {
	for _, m := range []struct{ path, version string }{
		{"example.com/greet", greet.Version},
		{"example.com/color", color.Version},
		{"example.com/oldlog", oldlog.Version},
		{"example.com/nightly", nightly.Version},
		{"gopkg.in/inifile.v2", inifile.Version},
		{"example.com/local", local.Version},
	} {
		fmt.Printf("%-22s %s\n", m.path, m.version)
	}
}
