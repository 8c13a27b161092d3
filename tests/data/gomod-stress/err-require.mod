module example.com/x
require example.com/a
require example.com/a v1.0.0 extra
require example.com/a latest
require example.com/a v2.0.0
require example.com/a/v2 v1.0.0
require example.com/a/v1 v1.0.0
require "example.com/a v1.0.0
require example.com/a "v1.0.0
