module example.com/emptypaths
godebug =x
require "" v1.0.0
exclude "" v1.0.0
replace "" => ./x
retract ""
tool ""
ignore ""
