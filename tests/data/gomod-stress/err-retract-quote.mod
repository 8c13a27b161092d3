module example.com/x
retract v1'0
retract ["v1\q", v2]
