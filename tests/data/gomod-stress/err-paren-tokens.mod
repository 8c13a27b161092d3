module example.com/parens

retract [v1.0.0, v1.1.0] // interval
tool ( )x
