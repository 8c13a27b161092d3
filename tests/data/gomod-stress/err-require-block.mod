module example.com/x
require (
	example.com/a
	example.com/b v1.0.0
    example.com/c master
	"x\z" v1.0.0
)
