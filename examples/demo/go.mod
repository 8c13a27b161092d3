// A small application module used by the README quick start.
module example.com/demo

go 1.22

require (
	example.com/greet v1.1.0
	example.com/color v1.0.0 // pinned for the demo
	example.com/oldlog v1.2.0
	golang.org/x/text v0.3.7 // indirect
)

exclude example.com/greet v1.3.0

replace example.com/local => ./local
