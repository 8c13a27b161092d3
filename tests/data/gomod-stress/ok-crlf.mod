// CRLF file
module example.com/crlf

go 1.22

require (
	example.com/a v1.0.0 // indirect

	// c
	example.com/b v1.0.0
)

// Deprecated: crlf
//
// more
retract v0.1.0
