modul example.com/x
require example.com/a v1.0.0
require example.com/b
exclude example.com/c v1
unknown (
	x
)
go 1.21
go 1.22
