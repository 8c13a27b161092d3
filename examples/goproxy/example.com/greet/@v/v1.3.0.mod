module example.com/greet

go 1.21

require (
	golang.org/x/text v0.9.0
)

// Greet panics on an empty name; use v1.2.1.
retract v1.2.2
