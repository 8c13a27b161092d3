// A small application module used by the README quick start: `gomodbot plan examples/demo`
// looks its requirements up in the bundled proxy, examples/goproxy.
module example.com/demo

go 1.22

require (
	example.com/greet v1.1.0
	example.com/color v1.0.0 // pinned for the demo
	example.com/oldlog v1.2.0
	example.com/nightly v0.0.0-20240105093000-1a2b3c4d5e6f
	gopkg.in/inifile.v2 v2.1.0
	example.com/local v0.0.0-00010101000000-000000000000
	golang.org/x/text v0.3.7 // indirect
)

exclude example.com/greet v1.3.0

replace example.com/local => ./local
