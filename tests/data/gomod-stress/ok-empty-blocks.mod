module example.com/empty

require ()

require (
)

replace (
	// nothing
)

exclude ( ) // c
