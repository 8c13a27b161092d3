module example.com/x
requires example.com/a v1.0.0
  go1.13
