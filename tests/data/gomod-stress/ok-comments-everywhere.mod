// head
module example.com/comments // after module
// before go
go 1.21 // after go
require ( // after paren
	// before a
	example.com/a v1.0.0 // after a
	// before close
) // after close
// between

// floating

require example.com/b v1.0.0 // indirect
// end
