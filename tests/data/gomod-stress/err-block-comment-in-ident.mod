module example.com/x
require example.com/a/*x v1.0.0
