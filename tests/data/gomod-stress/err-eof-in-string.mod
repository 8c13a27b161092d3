module example.com/x
require "example.com/a