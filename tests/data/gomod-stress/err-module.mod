module
module a b
module example.com/x
