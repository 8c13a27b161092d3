module example.com/x
( x
