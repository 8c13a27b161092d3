module example.com/x
godebug
godebug a b
godebug ab
godebug a='b'
godebug (
	c=d,e
)
