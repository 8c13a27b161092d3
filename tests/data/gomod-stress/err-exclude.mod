module example.com/x
exclude example.com/a
exclude example.com/a 1.0.0
exclude gopkg.in/a.v2 v1.0.0
exclude a`b v1.0.0
