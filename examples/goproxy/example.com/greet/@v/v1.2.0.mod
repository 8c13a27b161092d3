module example.com/greet

go 1.21

require (
	golang.org/x/text v0.9.0
)
