// Package comment block at the top.
// Two lines.

// Deprecated: use example.com/new instead.
// It stays for old users.
module example.com/stress // module suffix comment

go 1.23.4

toolchain go1.24.1

godebug (
	default=go1.21
	panicnil=1 // why
)

godebug http2client=0

require (
	example.com/direct v1.2.3
	example.com/pinned v0.0.0-20200101000000-abcdefabcdef // keep: pinned

	// a group of its own
	example.com/grouped/v2 v2.0.1
	gopkg.in/yaml.v3 v3.0.1
	example.com/incompat v2.0.0+incompatible
)

require (
	example.com/ind v1.0.0 // indirect
	example.com/ind2 v1.1.0 // indirect; kept for the build
	example.com/notind v1.0.0 // indirectly needed
)

exclude (
	example.com/direct v1.2.0
	example.com/direct v1.10.0
)

exclude example.com/other v0.3.0

replace example.com/direct => ../direct

replace (
	example.com/pinned v0.0.0-20200101000000-abcdefabcdef => example.com/fork v0.1.0
	example.com/local => ./local/dir // local
	example.com/abs => /abs/path
	example.com/win => C:/src/win
)

// Bad releases.
retract (
	v1.0.0 // published by mistake
	[v1.1.0, v1.2.0]

	// Range with a comment above.
	[v1.3.0, v1.3.5]
)

retract v0.9.0

tool example.com/direct/cmd/tool

tool (
	example.com/grouped/v2/cmd/a
	example.com/grouped/v2/cmd/b
)

ignore ./node_modules

ignore (
	./third_party
	docs
)

// Trailing comment block.
